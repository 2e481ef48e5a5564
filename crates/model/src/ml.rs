//! Models with `ai.onnx.ml` operators (scikit-learn, XGBoost, LightGBM exports).
//!
//! tract translates only a few of these operators, some not the way exporters write them
//! (XGBoost's two `base_values`), and its float results are not the reference for them. zkinfer
//! therefore gives tract a copy of the model in which every `ai.onnx.ml` node is replaced by a
//! *stand-in*: standard operators that produce tensors of the node's output shapes and element
//! types from its input (`Cast`, `Gather`), so tract can infer the shapes of the whole graph and
//! fold what is constant. The stand-ins' values are never used: zkinfer lowers the original
//! node from its protobuf attributes (one file per operator in [`super::ops`]), and the float
//! reference comes from onnxruntime ([`super::reference`]).

use super::elem::ty;
use super::ModelError;
use tract_onnx::pb;

/// The `ai.onnx.ml` domain.
pub const DOMAIN: &str = "ai.onnx.ml";

/// Whether node `n` belongs to the `ai.onnx.ml` domain.
pub fn is_ml(n: &pb::NodeProto) -> bool {
    n.domain == DOMAIN
}

/// Whether the model has any `ai.onnx.ml` node.
pub fn has_ml(proto: &pb::ModelProto) -> bool {
    proto.graph.as_ref().is_some_and(|g| g.node.iter().any(is_ml))
}

fn attr<'a>(n: &'a pb::NodeProto, name: &str) -> Option<&'a pb::AttributeProto> {
    n.attribute.iter().find(|a| a.name == name)
}

/// Number of class labels of a classifier node (`classlabels_int64s` or `classlabels_strings`).
pub fn class_count(n: &pb::NodeProto) -> usize {
    ["classlabels_int64s", "classlabels_ints"]
        .iter()
        .filter_map(|k| attr(n, k))
        .map(|a| a.ints.len())
        .find(|&c| c > 0)
        .or_else(|| attr(n, "classlabels_strings").map(|a| a.strings.len()))
        .unwrap_or(0)
}

/// What a stand-in output must look like.
enum Out {
    /// The input's shape, as floats.
    Same,
    /// `[N, c]` floats.
    Columns(usize),
    /// `[N]` 64-bit integers (a label).
    Label,
    /// The input's shape with element type `t`.
    SameAs(i32),
    /// `Gather` of input 0 by input 1 along the last axis (ArrayFeatureExtractor).
    Gathered,
    /// The input's shape with one more axis of `c` floats (OneHotEncoder).
    OneHot(usize),
}

/// The shapes of `n`'s outputs, by op type.
fn outputs_of(n: &pb::NodeProto, name: &str) -> Result<Vec<Out>, ModelError> {
    let form = |reason: String| ModelError::UnsupportedForm {
        node: name.to_string(),
        op_type: n.op_type.clone(),
        reason,
    };
    let classes = || -> Result<usize, ModelError> {
        if attr(n, "classlabels_strings").is_some_and(|a| !a.strings.is_empty()) {
            return Err(form(
                "its class labels are strings (`classlabels_strings`); a proof carries numbers: export with integer labels".into(),
            ));
        }
        match class_count(n) {
            0 => Err(form("it has no class labels (`classlabels_int64s` or `classlabels_ints`)".into())),
            c => Ok(c),
        }
    };
    Ok(match n.op_type.as_str() {
        "Scaler" | "Normalizer" | "Binarizer" | "Imputer" | "ZipMap" => vec![Out::Same],
        "LinearRegressor" => vec![Out::Columns(attr(n, "targets").map(|a| a.i.max(1) as usize).unwrap_or(1))],
        "SVMRegressor" => vec![Out::Columns(1)],
        "TreeEnsembleRegressor" => vec![Out::Columns(attr(n, "n_targets").map(|a| a.i.max(1) as usize).unwrap_or(1))],
        "LinearClassifier" | "SVMClassifier" | "TreeEnsembleClassifier" => vec![Out::Label, Out::Columns(classes()?)],
        "ArrayFeatureExtractor" => vec![Out::Gathered],
        "OneHotEncoder" => match attr(n, "cats_int64s").map(|a| a.ints.len()).filter(|&c| c > 0) {
            Some(c) => vec![Out::OneHot(c)],
            None => {
                return Err(form(
                    "its categories are strings (`cats_strings`) or missing; only integer categories (`cats_int64s`) are supported".into(),
                ))
            }
        },
        "LabelEncoder" => {
            let t = if attr(n, "values_int64s").is_some() {
                ty::INT64
            } else if attr(n, "values_floats").is_some() {
                ty::FLOAT
            } else {
                return Err(form(
                    "it maps to strings (`values_strings`); only integer and float categories are supported".into(),
                ));
            };
            vec![Out::SameAs(t)]
        }
        _ => {
            return Err(ModelError::UnsupportedOp {
                op_type: n.op_type.clone(),
                node: name.to_string(),
                supported: super::ops::supported_list(),
            })
        }
    })
}

/// A copy of the model in which each `ai.onnx.ml` node is replaced by its stand-in (see the
/// module docs); `node_name` names nodes in errors.
pub fn with_standins(proto: &pb::ModelProto, node_name: impl Fn(&pb::NodeProto, usize) -> String) -> Result<pb::ModelProto, ModelError> {
    let mut copy = proto.clone();
    let Some(g) = copy.graph.as_mut() else { return Ok(copy) };
    let mut nodes = Vec::with_capacity(g.node.len());
    let mut inits = Vec::new();
    for (i, n) in std::mem::take(&mut g.node).into_iter().enumerate() {
        if !is_ml(&n) {
            nodes.push(n);
            continue;
        }
        let name = node_name(&n, i);
        let x = n.input.first().cloned().unwrap_or_default();
        let tmp = |s: &str| format!("{name}#zkinfer_standin_{s}");
        let node = |op: &str, inputs: Vec<String>, output: String, attrs: Vec<pb::AttributeProto>| pb::NodeProto {
            op_type: op.into(),
            name: format!("{output}#node"),
            input: inputs,
            output: vec![output],
            attribute: attrs,
            ..Default::default()
        };
        let int_attr = |k: &str, v: i64| pb::AttributeProto {
            name: k.into(),
            r#type: pb::attribute_proto::AttributeType::Int as i32,
            i: v,
            ..Default::default()
        };
        let int_const = |name: String, dims: Vec<i64>, values: Vec<i64>| pb::TensorProto {
            name,
            dims,
            data_type: ty::INT64,
            int64_data: values,
            ..Default::default()
        };
        let xf = tmp("float");
        nodes.push(node("Cast", vec![x.clone()], xf.clone(), vec![int_attr("to", ty::FLOAT as i64)]));
        for (k, (out, spec)) in n.output.iter().zip(outputs_of(&n, &name)?).enumerate() {
            if out.is_empty() {
                continue;
            }
            match spec {
                Out::Same => nodes.push(node("Identity", vec![xf.clone()], out.clone(), vec![])),
                Out::SameAs(t) => nodes.push(node("Cast", vec![x.clone()], out.clone(), vec![int_attr("to", t as i64)])),
                Out::Columns(c) => {
                    let idx = tmp(&format!("idx{k}"));
                    inits.push(int_const(idx.clone(), vec![c as i64], vec![0; c]));
                    nodes.push(node("Gather", vec![xf.clone(), idx], out.clone(), vec![int_attr("axis", 1)]));
                }
                Out::Label => {
                    let idx = tmp(&format!("idx{k}"));
                    let col = tmp(&format!("col{k}"));
                    inits.push(int_const(idx.clone(), vec![], vec![0]));
                    nodes.push(node("Gather", vec![xf.clone(), idx], col.clone(), vec![int_attr("axis", 1)]));
                    nodes.push(node("Cast", vec![col], out.clone(), vec![int_attr("to", ty::INT64 as i64)]));
                }
                Out::OneHot(c) => {
                    // [..] → [.., 1] → times ones[c] → [.., c]
                    let shape = tmp("onehot_shape");
                    let col = tmp("onehot_col");
                    let ones = tmp("onehot_ones");
                    inits.push(int_const(shape.clone(), vec![3], vec![0, -1, 1]));
                    inits.push(pb::TensorProto {
                        name: ones.clone(),
                        dims: vec![c as i64],
                        data_type: ty::FLOAT,
                        float_data: vec![1.0; c],
                        ..Default::default()
                    });
                    nodes.push(node("Reshape", vec![xf.clone(), shape], col.clone(), vec![]));
                    nodes.push(node("Mul", vec![col, ones], out.clone(), vec![]));
                }
                Out::Gathered => {
                    let Some(ix) = n.input.get(1) else {
                        return Err(ModelError::InvalidNode {
                            node: name.clone(),
                            op_type: n.op_type.clone(),
                            reason: "missing input #1 (the indices)".into(),
                        });
                    };
                    // indices as a 1-D list, so a scalar index keeps the axis (as onnxruntime does)
                    let shape = tmp("flat_shape");
                    let flat = tmp("flat_indices");
                    inits.push(int_const(shape.clone(), vec![1], vec![-1]));
                    nodes.push(node("Reshape", vec![ix.clone(), shape], flat.clone(), vec![]));
                    nodes.push(node("Gather", vec![x.clone(), flat], out.clone(), vec![int_attr("axis", -1)]));
                }
            }
        }
    }
    g.node = nodes;
    g.initializer.extend(inits);
    // the stand-ins are default-domain ops; exports with only ai.onnx.ml nodes may import no
    // default opset at all (onnxmltools' XGBoost converter)
    if !copy.opset_import.iter().any(|o| o.domain.is_empty() || o.domain == "ai.onnx") {
        copy.opset_import.push(pb::OperatorSetIdProto {
            domain: String::new(),
            version: 13,
        });
    }
    Ok(copy)
}
