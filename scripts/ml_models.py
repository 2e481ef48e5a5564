"""Makes the models credit teams ship, as ONNX, for zkinfer's tests, benchmarks and demo.

Trains scikit-learn, XGBoost and LightGBM models on synthetic credit data drawn from numpy's
seeded generator, exports each the standard way (skl2onnx, onnxmltools; ZipMap off, so the
outputs are tensors) and writes, per model NAME, into --out DIR:

    NAME.onnx        the exported model (input "input", float32 [None, 8])
    NAME.input.json  EZKL-style calibration data: {"input_data": [[s1f1..s1f8, s2f1.., ...]]},
                     one flat list of CALIB_SAMPLES held-out samples back to back
    NAME.test.json   {"samples": [[f1..f8], ...], "outputs": {OUTPUT: [flat per sample]},
                     "reference": "onnxruntime X.Y.Z"}: TEST_SAMPLES other held-out samples and
                     onnxruntime's outputs for each, run one at a time with shape [1, 8]

    .venv/bin/python scripts/ml_models.py --out models/ml            # the default set
    .venv/bin/python scripts/ml_models.py --out DIR --bench          # plus the benchmark sizes
    .venv/bin/python scripts/ml_models.py --out DIR --only xgb,lgbm_100_d6 --summary
    .venv/bin/python scripts/ml_models.py --list

--summary prints each model's graph: inputs and outputs, every node's op type, domain and
attributes (long lists shortened to length, distinct values or range), and onnxruntime's
outputs for one sample. --verify recomputes the ai.onnx.ml nodes (tree ensembles, linear
classifiers and regressors, Normalizer) in numpy from the ONNX attributes, following
onnxruntime's rules, and compares with onnxruntime on the test samples.

The features are kept below ~100 in magnitude (the prover range-checks its inputs):

    income         annual income, k$/10 (6.5 = 65 k$)
    debt_ratio     monthly debt payments / income, 0..1
    utilisation    revolving credit used / credit limit, 0..1
    age            years/10
    history        length of credit history, months/12 (years)
    late_payments  late payments in the last 2 years, 0..10
    open_accounts  open credit lines, 0..20
    inquiries      hard inquiries in the last 6 months, 0..10

The label is "defaults within 12 months", drawn from a noisy logistic rule; the regression
target ("credit limit", k$) is a noisy linear rule of the same features. Everything is seeded
and single-threaded, and the script runs itself with PYTHONHASHSEED=0 (skl2onnx orders opset
imports by a set): two runs write byte-identical files. The packages are pinned in
requirements-conformance.txt.
"""

import argparse
import json
import os
import re
import sys
import warnings

import numpy as np

FEATURES = [
    "income",
    "debt_ratio",
    "utilisation",
    "age",
    "history",
    "late_payments",
    "open_accounts",
    "inquiries",
]
N_FEATURES = len(FEATURES)
SEED = 20240611
N_TRAIN = 4000
CALIB_SAMPLES = 32
TEST_SAMPLES = 16
INPUT_NAME = "input"
# The converters' own defaults at the pinned versions, written out so that the files do not
# change if a default does: skl2onnx 1.20 targets opset 22 and ai.onnx.ml 3, onnxmltools 1.16
# opset 15. Both then import the lowest versions the emitted ops need (ai.onnx.ml 1 here; the
# default domain from 9 to 22, or not at all for XGBoost's single TreeEnsembleClassifier).
SKL_OPSET = {"": 22, "ai.onnx.ml": 3}
OMT_OPSET = 15
BENCH_SIZES = [(10, 3), (100, 6), (300, 6)]


def make_data(seed: int, n: int):
    """n synthetic credit applicants: X float32 [n, 8], default label int [n], limit float [n]."""
    rng = np.random.default_rng(seed)
    income = np.clip(rng.lognormal(np.log(6.0), 0.45, n), 1.0, 30.0)
    debt_ratio = np.clip(rng.beta(2.0, 5.0, n), 0.0, 1.0)
    utilisation = np.clip(rng.beta(1.6, 2.6, n), 0.0, 1.0)
    age = np.clip(rng.normal(4.2, 1.25, n), 1.8, 8.5)
    # History cannot be longer than the adult life: a share of (age - 18 years).
    history = np.clip((age - 1.8) * 10.0 * rng.beta(3.0, 2.0, n), 0.0, 40.0)
    late = np.clip(rng.poisson(0.5 + 1.5 * utilisation), 0, 10)
    open_accounts = np.clip(rng.poisson(3.0 + 0.4 * history), 0, 20)
    inquiries = np.clip(rng.poisson(0.6 + 1.2 * debt_ratio), 0, 10)
    X = np.stack(
        [
            np.round(income, 2),
            np.round(debt_ratio, 3),
            np.round(utilisation, 3),
            np.round(age, 1),
            np.round(history, 2),
            late,
            open_accounts,
            inquiries,
        ],
        axis=1,
    ).astype(np.float32)
    income, debt_ratio, utilisation, age, history, late, open_accounts, inquiries = X.T.astype(np.float64)
    logit = (
        -1.2
        - 0.22 * income
        + 3.0 * debt_ratio
        + 2.2 * utilisation
        - 0.25 * (age - 4.0)
        - 0.04 * history
        + 0.55 * late
        + 0.02 * open_accounts
        + 0.3 * inquiries
        + rng.normal(0.0, 0.6, n)
    )
    y = (rng.random(n) < 1.0 / (1.0 + np.exp(-logit))).astype(np.int64)
    limit = 1.0 + 1.6 * income - 9.0 * debt_ratio - 1.5 * late + 0.25 * history + rng.normal(0.0, 1.5, n)
    limit = np.clip(limit, 0.5, 60.0)
    return X, y, limit


# --- the models ------------------------------------------------------------------------------


def _skl(model, task):
    return ("skl2onnx", task, model)


def _xgb(n_estimators, max_depth, seed):
    import xgboost

    return ("xgboost", "cls", xgboost.XGBClassifier(
        n_estimators=n_estimators, max_depth=max_depth, learning_rate=0.3, tree_method="hist",
        random_state=seed, n_jobs=1,
    ))


def _lgbm(n_estimators, seed, **kw):
    import lightgbm

    return ("lightgbm", "cls", lightgbm.LGBMClassifier(
        n_estimators=n_estimators, random_state=seed, n_jobs=1, deterministic=True,
        force_row_wise=True, verbose=-1, **kw,
    ))


def build(name: str, seed: int):
    """(converter, task, unfitted model) for a model name; task is 'cls' or 'reg'."""
    from sklearn.ensemble import (GradientBoostingClassifier, GradientBoostingRegressor,
                                  RandomForestClassifier)
    from sklearn.linear_model import LinearRegression, LogisticRegression
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC, SVR, LinearSVC

    def scaled(m):
        return Pipeline([("scaler", StandardScaler()), ("model", m)])

    if name == "logreg":
        return _skl(scaled(LogisticRegression(max_iter=1000, random_state=seed)), "cls")
    if name == "mlp":
        return _skl(scaled(MLPClassifier(hidden_layer_sizes=(16,), max_iter=500, random_state=seed)), "cls")
    if name == "linreg":
        return _skl(scaled(LinearRegression()), "reg")
    if name == "gb":
        return _skl(GradientBoostingClassifier(n_estimators=20, max_depth=3, random_state=seed), "cls")
    if name == "rf":
        return _skl(RandomForestClassifier(n_estimators=10, max_depth=4, random_state=seed, n_jobs=1), "cls")
    if name == "gb_reg":
        return _skl(GradientBoostingRegressor(n_estimators=20, max_depth=3, random_state=seed), "reg")
    if name == "svm":
        return _skl(scaled(LinearSVC(random_state=seed)), "cls")
    if name == "ohe_logreg":
        # categorical columns one-hot encoded, the rest standardised: the usual credit pipeline
        from sklearn.compose import ColumnTransformer
        from sklearn.preprocessing import OneHotEncoder

        cat, num = [5, 7], [0, 1, 2, 3, 4, 6]
        prep = ColumnTransformer([
            ("cat", OneHotEncoder(handle_unknown="ignore", categories=[list(range(11)), list(range(6))]), cat),
            ("num", StandardScaler(), num),
        ])
        return _skl(Pipeline([("prep", prep), ("model", LogisticRegression(max_iter=1000, random_state=seed))]), "cls")
    if name == "svc":
        # a kernel SVM with the linear kernel: exported as SVMClassifier with support vectors
        return _skl(scaled(SVC(kernel="linear", C=0.5)), "cls")
    if name == "svr":
        return _skl(scaled(SVR(kernel="linear", C=1.0)), "reg")
    if name == "xgb":
        return _xgb(20, 3, seed)
    if name == "credit_gbdt":
        return _xgb(30, 4, seed)
    if name == "lgbm":
        return _lgbm(20, seed, num_leaves=8)
    bench = re.fullmatch(r"(xgb|lgbm)_([1-9][0-9]*)_d([1-9][0-9]*)", name)
    if bench:
        trees, depth = int(bench[2]), int(bench[3])
        if bench[1] == "xgb":
            return _xgb(trees, depth, seed)
        return _lgbm(trees, seed, max_depth=depth, num_leaves=2**depth - 1)
    raise SystemExit(f"unknown model {name!r} (see --list)")


DEFAULT_MODELS = ["logreg", "mlp", "linreg", "gb", "rf", "xgb", "lgbm", "gb_reg", "svm", "svc", "svr", "ohe_logreg", "credit_gbdt"]
BENCH_MODELS = [f"{k}_{t}_d{d}" for k in ("xgb", "lgbm") for t, d in BENCH_SIZES]


def convert(converter, model, name):
    from skl2onnx.common.data_types import FloatTensorType

    types = [(INPUT_NAME, FloatTensorType([None, N_FEATURES]))]
    if converter == "skl2onnx":
        from skl2onnx import convert_sklearn

        # Classifiers with predict_proba get a ZipMap (a list of dicts) unless told not to. The
        # others (LinearSVC) output plain tensors and have no such option, but a Pipeline hands
        # {"zipmap": True} to any classifier step that has no options of its own, which fails
        # for them: so the options go to the final step, empty for those.
        from sklearn.svm import SVC

        est = model.steps[-1][1] if hasattr(model, "steps") else model
        zipmap = hasattr(est, "predict_proba") or isinstance(est, SVC)
        options = {id(est): {"zipmap": False} if zipmap else {}}
        return convert_sklearn(model, name=name, initial_types=types, options=options, target_opset=SKL_OPSET)
    from onnxmltools import convert_lightgbm, convert_xgboost
    from onnxmltools.convert.common.data_types import FloatTensorType as OmtFloat

    types = [(INPUT_NAME, OmtFloat([None, N_FEATURES]))]
    if converter == "xgboost":
        return convert_xgboost(model, name=name, initial_types=types, target_opset=OMT_OPSET)
    return convert_lightgbm(model, name=name, initial_types=types, target_opset=OMT_OPSET, zipmap=False)


# --- running and writing ---------------------------------------------------------------------


def f32(v):
    """A float32 value as the Python float (double) that holds it exactly."""
    return float(np.float32(v))


def run_ort(onnx_bytes, samples):
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    # Errors only: onnxmltools declares LightGBM's label output as [1], and onnxruntime warns
    # about every batch run that returns more.
    opts.log_severity_level = 3
    sess = ort.InferenceSession(onnx_bytes, opts, providers=["CPUExecutionProvider"])
    names = [o.name for o in sess.get_outputs()]
    per_sample = [sess.run(None, {INPUT_NAME: s.reshape(1, -1)}) for s in samples]
    return sess, names, per_sample


def jsonable(a):
    a = np.asarray(a)
    if a.dtype.kind in "iub":
        return [int(v) for v in a.ravel()]
    return [f32(v) if a.dtype == np.float32 else float(v) for v in a.ravel()]


def write_json(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, separators=(",", ":"))
        f.write("\n")


def generate(name, data, out, seed):
    import onnxruntime as ort

    X, y, limit, X_calib, X_test = data
    converter, task, model = build(name, seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X, y if task == "cls" else limit.astype(np.float32))
        onx = convert(converter, model, name)
    onnx_bytes = onx.SerializeToString()
    with open(os.path.join(out, f"{name}.onnx"), "wb") as f:
        f.write(onnx_bytes)
    write_json(os.path.join(out, f"{name}.input.json"), {"input_data": [jsonable(X_calib.ravel())]})
    sess, names, per_sample = run_ort(onnx_bytes, X_test)
    outputs = {n: [jsonable(r[i]) for r in per_sample] for i, n in enumerate(names)}
    write_json(os.path.join(out, f"{name}.test.json"), {
        "samples": [jsonable(s) for s in X_test],
        "outputs": outputs,
        "reference": f"onnxruntime {ort.__version__}",
    })
    # The exported model against the trained one (float32 rounding aside).
    batch = sess.run(None, {INPUT_NAME: X_test})
    if task == "cls":
        native = model.predict_proba(X_test) if hasattr(model, "predict_proba") else model.decision_function(X_test)
        got = batch[1]
        if native.ndim == 1:  # decision_function of a binary LinearSVC: one column
            native = native.reshape(-1, 1)
        agree = float(np.mean(batch[0] == model.predict(X_test)))
        note = f"label agreement {agree:.3f}, max |scores - native| {np.max(np.abs(got - native)):.2e}"
    else:
        note = f"max |prediction - native| {np.max(np.abs(batch[0].ravel() - model.predict(X_test))):.2e}"
    return onx, per_sample, names, note


# --- summary ---------------------------------------------------------------------------------


def short(values, limit=8):
    vals = list(values)
    if len(vals) <= limit:
        return repr([_fmt(v) for v in vals])
    distinct = sorted(set(vals), key=lambda v: (str(type(v)), v))
    if len(distinct) <= limit:
        return f"len {len(vals)}, distinct {[_fmt(v) for v in distinct]}"
    if all(isinstance(v, (int, float)) for v in vals):
        return f"len {len(vals)}, {len(distinct)} distinct, range [{_fmt(min(vals))}, {_fmt(max(vals))}]"
    return f"len {len(vals)}, {len(distinct)} distinct, first {[_fmt(v) for v in vals[:3]]}"


def _fmt(v):
    if isinstance(v, bytes):
        return v.decode()
    if isinstance(v, float):
        return float(f"{v:.6g}")
    return v


def attr_value(a):
    from onnx import AttributeProto, numpy_helper

    if a.type == AttributeProto.FLOAT:
        return _fmt(a.f)
    if a.type == AttributeProto.INT:
        return a.i
    if a.type == AttributeProto.STRING:
        return a.s.decode()
    if a.type == AttributeProto.FLOATS:
        return list(a.floats)
    if a.type == AttributeProto.INTS:
        return list(a.ints)
    if a.type == AttributeProto.STRINGS:
        return [s.decode() for s in a.strings]
    if a.type == AttributeProto.TENSOR:
        return numpy_helper.to_array(a.t)
    return f"<attribute type {a.type}>"


def describe_attr(a):
    v = attr_value(a)
    if isinstance(v, np.ndarray):
        return f"tensor {v.dtype} {list(v.shape)} {short(v.ravel().tolist())}"
    if isinstance(v, list):
        return short(v)
    return repr(v)


def type_str(vi):
    t = vi.type
    if t.HasField("tensor_type"):
        from onnx import TensorProto

        dims = [d.dim_param or (d.dim_value if d.HasField("dim_value") else "?") for d in t.tensor_type.shape.dim]
        return f"{TensorProto.DataType.Name(t.tensor_type.elem_type).lower()} {dims}"
    return str(t).replace("\n", " ")


def summary(name, onx, per_sample, names, note):
    from onnx import numpy_helper

    g = onx.graph
    print(f"== {name}")
    opsets = ", ".join(f"{d.domain or 'ai.onnx'} {d.version}" for d in onx.opset_import)
    print(f"  opsets: {opsets}; "
          f"ir_version {onx.ir_version}; producer {onx.producer_name} {onx.producer_version}")
    for vi in g.input:
        print(f"  input  {vi.name}: {type_str(vi)}")
    for vi in g.output:
        print(f"  output {vi.name}: {type_str(vi)}")
    for init in g.initializer:
        arr = numpy_helper.to_array(init)
        print(f"  initializer {init.name}: {arr.dtype} {list(arr.shape)} {short(arr.ravel().tolist(), 4)}")
    for node in g.node:
        print(f"  node {node.domain or 'ai.onnx'}.{node.op_type} {list(node.input)} -> {list(node.output)}")
        for a in node.attribute:
            print(f"      {a.name}: {describe_attr(a)}")
        if node.op_type.startswith("TreeEnsemble"):
            attrs = {a.name: attr_value(a) for a in node.attribute}
            tree_ids = attrs.get("nodes_treeids", [])
            modes = attrs.get("nodes_modes", [])
            leaves = sum(1 for m in modes if m == "LEAF")
            print(f"      -> {len(set(tree_ids))} trees, {len(tree_ids)} nodes ({leaves} leaves)")
            mv = attrs.get("nodes_missing_value_tracks_true")
            tracks = "absent" if mv is None else f"present, {sum(1 for v in mv if v)} nonzero"
            print(f"      -> missing_value_tracks_true {tracks}")
    r = per_sample[0]
    print("  onnxruntime, one sample [1, 8]: " + "; ".join(
        f"{n} {np.asarray(v).dtype} {list(np.asarray(v).shape)} {np.asarray(v).ravel().tolist()}" for n, v in zip(names, r)))
    print(f"  vs the trained model on the test samples: {note}")


# --- numpy re-evaluation of the ai.onnx.ml nodes (as onnxruntime computes them) -------------


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _post(scores, transform):
    if transform == "NONE":
        return scores
    if transform == "LOGISTIC":
        return _sigmoid(scores)
    if transform == "SOFTMAX":
        e = np.exp(scores - scores.max())
        return e / e.sum()
    raise NotImplementedError(transform)


def _trees(attrs, prefix):
    """Per tree: dict node id -> node tuple; leaf weights: (tree, node) -> [(target, weight)]."""
    nodes = {}
    for i, (t, n) in enumerate(zip(attrs["nodes_treeids"], attrs["nodes_nodeids"])):
        mv = attrs.get("nodes_missing_value_tracks_true")
        nodes.setdefault(t, {})[n] = (
            attrs["nodes_modes"][i], attrs["nodes_featureids"][i], np.float32(attrs["nodes_values"][i]),
            attrs["nodes_truenodeids"][i], attrs["nodes_falsenodeids"][i], bool(mv[i]) if mv else False,
        )
    weights = {}
    ids = attrs[f"{prefix}_ids"]
    for t, n, k, w in zip(attrs[f"{prefix}_treeids"], attrs[f"{prefix}_nodeids"], ids, attrs[f"{prefix}_weights"]):
        weights.setdefault((t, n), []).append((k, w))
    return nodes, weights


def _leaf(tree, x):
    n = 0
    while True:
        mode, f, thr, t, e, missing_true = tree[n]
        if mode == "LEAF":
            return n
        v = x[f]
        if np.isnan(v):
            go = missing_true
        else:
            go = {"BRANCH_LEQ": v <= thr, "BRANCH_LT": v < thr, "BRANCH_GTE": v >= thr,
                  "BRANCH_GT": v > thr, "BRANCH_EQ": v == thr, "BRANCH_NEQ": v != thr}[mode]
        n = t if go else e


def tree_raw(attrs, x, prefix, n_out):
    nodes, weights = _trees(attrs, prefix)
    s = np.zeros(n_out, np.float64)
    hit = np.zeros(n_out, bool)
    for tid in sorted(nodes):
        for k, w in weights.get((tid, _leaf(nodes[tid], x)), []):
            s[k] += w
            hit[k] = True
    if attrs.get("aggregate_function", "SUM") == "AVERAGE":
        s /= len(nodes)
    return s, hit


def eval_tree_classifier(attrs, x):
    """(label, scores) of TreeEnsembleClassifier on one sample, by onnxruntime's rules.

    Binary models whose weights all go to one class id hold a single score s = sum of the
    reached leaves' weights + base_values[0] (onnxruntime's "binary case"). If every class
    weight is >= 0 (vote shares, e.g. random forests) the label is 1 when s > 0.5, otherwise
    (margins, e.g. boosting) when s > 0. The scores are [sigmoid(-s), sigmoid(s)] under
    LOGISTIC, whatever the weights; under NONE (and SOFTMAX, which is then not applied)
    [1 - s, s] with weights all >= 0, [-s, s] otherwise. Checked against onnxruntime 1.32 on
    hand-made ensembles too: with weights all >= 0 and LOGISTIC, the label (s > 0.5) can
    disagree with the scores (sigmoid(s) > 0.5 once s > 0).
    """
    labels = attrs["classlabels_int64s"]
    base = attrs.get("base_values", [])
    post = attrs.get("post_transform", "NONE")
    s, _ = tree_raw(attrs, x, "class", len(labels))
    binary_case = len(labels) == 2 and len(set(attrs["class_ids"])) == 1
    if not binary_case:
        if base:
            s = s + np.array(base)
        return labels[int(np.argmax(s))], _post(s, post)
    if len(base) > 1:
        raise NotImplementedError("binary case with two base_values")
    score = s[attrs["class_ids"][0]] + (base[0] if base else 0.0)
    if post == "PROBIT":
        raise NotImplementedError("PROBIT")
    all_positive = all(w >= 0 for w in attrs["class_weights"])
    label = labels[1] if score > (0.5 if all_positive else 0.0) else labels[0]
    if post == "LOGISTIC":
        return label, np.array([_sigmoid(-score), _sigmoid(score)])
    return label, np.array([1.0 - score, score] if all_positive else [-score, score])


def eval_linear_classifier(attrs, x):
    coef = np.array(attrs["coefficients"], np.float64)
    icpt = np.array(attrs.get("intercepts", []), np.float64)
    labels = attrs["classlabels_ints"]
    n_out = len(icpt) if len(icpt) else len(coef) // len(x)
    w = coef.reshape(n_out, len(x))
    s = w @ x.astype(np.float64) + (icpt if len(icpt) else 0.0)
    post = attrs.get("post_transform", "NONE")
    if n_out == 1 and len(labels) == 2:
        label = labels[1] if s[0] > 0 else labels[0]
        if post == "LOGISTIC":
            sc = np.array([_sigmoid(-s[0]), _sigmoid(s[0])])
        else:
            sc = np.array([-s[0], s[0]])
        return label, sc
    return labels[int(np.argmax(s))], _post(s, post)


def verify(name, onx, X_test, per_sample, names):
    """Recomputes the graph's ai.onnx.ml node in numpy and compares with onnxruntime."""
    ml = [n for n in onx.graph.node if n.domain == "ai.onnx.ml" and n.op_type in (
        "TreeEnsembleClassifier", "TreeEnsembleRegressor", "LinearClassifier", "LinearRegressor")]
    if len(ml) != 1 or (ml[0].input[0] != INPUT_NAME and not _only_scaler_before(onx, ml[0])):
        print(f"  verify {name}: skipped (no single ai.onnx.ml model node on the input)")
        return True
    node = ml[0]
    attrs = {a.name: attr_value(a) for a in node.attribute}
    worst = 0.0
    labels_ok = True
    for x, r in zip(X_test, per_sample):
        x_in = _scaled_input(onx, node, x)
        if node.op_type == "TreeEnsembleClassifier":
            label, scores = eval_tree_classifier(attrs, x_in)
        elif node.op_type == "LinearClassifier":
            label, scores = eval_linear_classifier(attrs, x_in)
        elif node.op_type == "TreeEnsembleRegressor":
            s, _ = tree_raw(attrs, x_in, "target", attrs.get("n_targets", 1))
            s = s + np.array(attrs.get("base_values", [0.0] * len(s)))
            label, scores = None, _post(s, attrs.get("post_transform", "NONE"))
        else:
            coef = np.array(attrs["coefficients"])
            s = np.array([coef @ x_in.astype(np.float64) + sum(attrs.get("intercepts", [0.0]))])
            label, scores = None, s
        got = dict(zip(names, r))
        if label is not None:
            lab_name, sc_name = names[0], names[1]
            labels_ok &= int(got[lab_name].ravel()[0]) == int(label)
            scores = _after(onx, node.output[1], sc_name, scores)
            worst = max(worst, float(np.max(np.abs(got[sc_name].ravel() - scores))))
        else:
            worst = max(worst, float(np.max(np.abs(got[names[0]].ravel() - scores))))
    ok = labels_ok and worst < 1e-5
    labels = "" if node.op_type.endswith("Regressor") else f"labels {'equal' if labels_ok else 'DIFFER'}, "
    print(f"  verify {name}: {node.op_type} recomputed in numpy: {labels}"
          f"max |outputs - onnxruntime| {worst:.2e} {'ok' if ok else 'MISMATCH'}")
    return ok


def _after(onx, produced, output, scores):
    """The scores as the graph's output shows them: through Identity and the like, or an
    ArrayFeatureExtractor picking one column (skl2onnx's binary LinearSVC)."""
    from onnx import numpy_helper

    consts = {t.name: numpy_helper.to_array(t) for t in onx.graph.initializer}
    name = produced
    while name != output:
        node = next(n for n in onx.graph.node if name in n.input)
        if node.op_type == "ArrayFeatureExtractor":
            scores = scores[np.asarray(consts[node.input[1]]).ravel()]
        elif node.op_type not in ("Identity", "Mul", "Cast"):  # Mul by one, Cast to float
            raise NotImplementedError(node.op_type)
        name = node.output[0]
    return scores


def _only_scaler_before(onx, node):
    prev = [n for n in onx.graph.node if node.input[0] in n.output]
    return len(prev) == 1 and prev[0].op_type == "Scaler" and prev[0].input[0] == INPUT_NAME


def _scaled_input(onx, node, x):
    if node.input[0] == INPUT_NAME:
        return x
    scaler = next(n for n in onx.graph.node if node.input[0] in n.output)
    a = {b.name: attr_value(b) for b in scaler.attribute}
    return ((x - np.array(a["offset"], np.float32)) * np.array(a["scale"], np.float32)).astype(np.float32)


# --- main ------------------------------------------------------------------------------------


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", help="directory to write NAME.onnx, NAME.input.json, NAME.test.json into")
    p.add_argument("--only", help="comma-separated model names (any of --list, benchmark sizes too)")
    p.add_argument("--bench", action="store_true", help="also the benchmark sizes " + ", ".join(BENCH_MODELS))
    p.add_argument("--list", action="store_true", help="list the model names and exit")
    p.add_argument("--summary", action="store_true", help="print each model's graph, attributes and outputs")
    p.add_argument("--verify", action="store_true", help="recompute the ai.onnx.ml nodes in numpy against onnxruntime")
    p.add_argument("--seed", type=int, default=SEED, help=f"data and training seed (default {SEED})")
    args = p.parse_args(argv)
    if args.list:
        print("default: " + " ".join(DEFAULT_MODELS))
        print("bench:   " + " ".join(BENCH_MODELS) + "  (xgb_<T>_d<D>, lgbm_<T>_d<D>: any sizes via --only)")
        return 0
    if not args.out:
        p.error("--out DIR is required")
    names = args.only.split(",") if args.only else DEFAULT_MODELS + (BENCH_MODELS if args.bench else [])
    for n in names:
        build(n, args.seed)  # unknown names fail before any training
    os.makedirs(args.out, exist_ok=True)
    X, y, limit = make_data(args.seed, N_TRAIN + CALIB_SAMPLES + TEST_SAMPLES)
    data = (X[:N_TRAIN], y[:N_TRAIN], limit[:N_TRAIN],
            X[N_TRAIN:N_TRAIN + CALIB_SAMPLES], X[N_TRAIN + CALIB_SAMPLES:])
    ok = True
    for n in names:
        onx, per_sample, out_names, note = generate(n, data, args.out, args.seed)
        if args.summary:
            summary(n, onx, per_sample, out_names, note)
        else:
            print(f"{n}: {note}")
        if args.verify:
            ok &= verify(n, onx, data[4], per_sample, out_names)
    return 0 if ok else 1


if __name__ == "__main__":
    if os.environ.get("PYTHONHASHSEED") != "0":
        # skl2onnx orders a model's opset imports by iterating a set of domain names, which
        # follows Python's per-process string hashing: fix the hash for byte-identical files.
        os.execve(sys.executable, [sys.executable, *sys.argv], {**os.environ, "PYTHONHASHSEED": "0"})
    sys.exit(main())
