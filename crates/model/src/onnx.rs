//! Loading an ONNX file with tract: protobuf decoding, op check, input shapes, shape
//! inference, lowering, and float reference inference.

use super::graph::{Graph, GraphInput, Node, Tensor};
use super::ops::{self, LowerCtx, Lowered, Operand};
use super::ModelError;
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;
use tract_onnx::pb;
use tract_onnx::prelude::*;
use tract_onnx::tract_hir::infer::Factoid;

/// A loaded model: the lowered graph plus what computes its float reference outputs.
pub struct LoadedModel {
    /// Lowered graph.
    pub graph: Graph,
    /// Raw bytes' SHA-256 (hex).
    pub sha256: String,
    runner: Runner,
    /// The model's own outputs (names and shapes), in order.
    model_outputs: Vec<(String, Vec<usize>)>,
    /// For each output of `graph`: which model output it is, and which element of it (see
    /// [`LoadedModel::select_outputs`]).
    selected: Vec<(usize, Option<usize>)>,
}

/// What runs the float model: tract, or onnxruntime for models with `ai.onnx.ml` operators and
/// for models with a recurrent layer (see [`has_recurrence`]), or zkinfer's own float
/// evaluation of the lowered graph where neither runs the model right.
enum Runner {
    Tract(Arc<TypedRunnableModel>),
    /// [`Graph::eval_float`]: for batch-first (`layout` 1) recurrent layers, which onnxruntime
    /// 1.32 refuses and tract 0.23.9 gets wrong in several forms; the lowering of those layers
    /// is checked against the ONNX equations in its unit tests.
    Graph,
    Onnxruntime {
        bytes: Arc<Vec<u8>>,
        /// The runtime's version once it has run.
        version: std::sync::OnceLock<String>,
    },
}

impl std::fmt::Debug for LoadedModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadedModel")
            .field("graph", &self.graph)
            .field("sha256", &self.sha256)
            .finish()
    }
}

/// Whether the graph has an `RNN`, `GRU` or `LSTM`: tract 0.23.9 runs a `reverse` layer
/// forward, ignores the `activations` attribute (always sigmoid/tanh), refuses shorter
/// `sequence_lens` and lays out a batch-first bidirectional layer's outputs on the wrong axes,
/// so onnxruntime computes such a model's float reference.
fn has_recurrence(graph: &pb::GraphProto) -> bool {
    graph.node.iter().any(|n| matches!(n.op_type.as_str(), "RNN" | "GRU" | "LSTM"))
}

/// Whether the graph has a batch-first (`layout` 1) recurrent layer, which onnxruntime 1.32
/// refuses to run.
fn has_batch_first_recurrence(graph: &pb::GraphProto) -> bool {
    graph
        .node
        .iter()
        .any(|n| matches!(n.op_type.as_str(), "RNN" | "GRU" | "LSTM") && n.attribute.iter().any(|a| a.name == "layout" && a.i == 1))
}

fn tract_msg(e: &TractError) -> String {
    format!("{e:#}").replace('\n', " ")
}

/// Flat lengths of each sample-data list, used to resolve symbolic input dims.
pub type ShapeHints<'a> = Option<&'a [usize]>;

impl LoadedModel {
    /// Loads and lowers the model at `path`. `hints` gives, per model input, the number of
    /// values in one sample, used to fix symbolic dims other than the batch dim.
    pub fn load(path: &Path, hints: ShapeHints) -> Result<Self, ModelError> {
        let display = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|source| ModelError::Io {
            path: display.clone(),
            source,
        })?;
        Self::from_bytes(&bytes, &display, hints)
    }

    /// Loads from bytes; `origin` names the source in errors.
    pub fn from_bytes(bytes: &[u8], origin: &str, hints: ShapeHints) -> Result<Self, ModelError> {
        use sha2::Digest;
        let malformed = |reason: String| ModelError::Malformed {
            path: origin.to_string(),
            reason,
        };
        let onnx = tract_onnx::onnx();
        let mut proto = onnx
            .proto_model_for_read(&mut &bytes[..])
            .map_err(|e| malformed(format!("protobuf decoding failed ({})", tract_msg(&e))))?;
        fix_prelu_slopes(&mut proto);
        let graph_proto = proto.graph.as_ref().ok_or_else(|| malformed("the model has no graph".into()))?;
        if graph_proto.node.is_empty() {
            return Err(malformed("the graph has no nodes".into()));
        }
        let opset = proto
            .opset_import
            .iter()
            .find(|o| o.domain.is_empty() || o.domain == "ai.onnx")
            .map(|o| o.version)
            .unwrap_or(13);
        let initializers: HashSet<&str> = graph_proto.initializer.iter().map(|t| t.name.as_str()).collect();
        let real_inputs: Vec<&pb::ValueInfoProto> = graph_proto
            .input
            .iter()
            .filter(|i| !initializers.contains(i.name.as_str()))
            .collect();
        if real_inputs.is_empty() {
            return Err(malformed("the graph has no (non-constant) input".into()));
        }
        if let Some(h) = hints {
            if h.len() != real_inputs.len() {
                return Err(ModelError::Data {
                    path: "<sample data>".into(),
                    reason: format!("has {} input list(s) but the model has {} input(s)", h.len(), real_inputs.len()),
                });
            }
        }

        // An op neither zkinfer nor tract knows is unsupported whatever its inputs; ops tract
        // knows but zkinfer does not are accepted only if tract folds them to constants (checked
        // after the analysis below).
        for (i, n) in graph_proto.node.iter().enumerate() {
            if ops::lookup(&n.op_type).is_none() && (super::ml::is_ml(n) || !onnx.op_register.0.contains_key(&n.op_type)) {
                return Err(ModelError::UnsupportedOp {
                    op_type: n.op_type.clone(),
                    node: node_name(n, i),
                    supported: ops::supported_list(),
                });
            }
        }
        let types = check_forms(graph_proto)?;
        // tract lacks the narrow element types: translate a copy in which they are floats
        let widened = widen_narrow_types(&proto, &types, origin)?;
        // tract neither runs nor always translates the ai.onnx.ml operators: it sees stand-ins
        let ml = super::ml::has_ml(&proto);
        let standins = if ml {
            Some(super::ml::with_standins(widened.as_ref().unwrap_or(&proto), node_name)?)
        } else {
            None
        };
        let mut model = onnx
            .model_for_proto_model(standins.as_ref().or(widened.as_ref()).unwrap_or(&proto))
            .map_err(|e| malformed(format!("translation failed ({})", tract_msg(&e))))?;
        let mut inputs = Vec::new();
        for (ix, vi) in real_inputs.iter().enumerate() {
            let shape = input_shape(vi, hints.map(|h| h[ix]))?;
            model
                .set_input_fact(ix, InferenceFact::dt_shape(f32::datum_type(), shape.clone()))
                .map_err(|e| ModelError::Input {
                    name: vi.name.clone(),
                    reason: tract_msg(&e),
                })?;
            inputs.push(GraphInput {
                name: vi.name.clone(),
                shape,
            });
        }
        model.analyse(false).map_err(|e| ModelError::Shape(tract_msg(&e)))?;

        let mut consts: HashMap<String, Tensor> = HashMap::new();
        let mut vars: HashMap<String, Vec<usize>> = HashMap::new();
        for i in &inputs {
            vars.insert(i.name.clone(), i.shape.clone());
        }
        let fact_of = |name: &str| -> Option<&InferenceFact> {
            let outlet = model.find_outlet_label(name)?;
            model.outlet_fact(outlet).ok()
        };
        let mut nodes = Vec::new();
        // outputs beyond what a node's lowering produces: (node, op type, output number)
        let mut unproduced: HashMap<String, (String, String, usize)> = HashMap::new();
        let unsupported_output = |o: &str, (node, op_type, k): &(String, String, usize)| ModelError::InvalidNode {
            node: node.clone(),
            op_type: op_type.clone(),
            reason: format!("its output #{k} `{o}` is used, but only its first output is supported"),
        };
        for (i, pbnode) in graph_proto.node.iter().enumerate() {
            let name = node_name(pbnode, i);
            let outputs: Vec<&String> = pbnode.output.iter().filter(|o| !o.is_empty()).collect();
            // Constant-folded by tract?
            let folded: Option<Vec<Tensor>> = outputs
                .iter()
                .map(|o| fact_of(o).and_then(|f| f.value.concretize()).and_then(|t| to_f32(&t)))
                .collect();
            if let Some(values) = folded {
                for (o, t) in outputs.iter().zip(values) {
                    consts.insert((*o).clone(), t);
                }
                continue;
            }
            refuse_integer_division(pbnode, i, &types)?;
            let lower = ops::lookup(&pbnode.op_type).ok_or_else(|| ModelError::UnsupportedOp {
                op_type: pbnode.op_type.clone(),
                node: name.clone(),
                supported: ops::supported_list(),
            })?;
            let operands = pbnode
                .input
                .iter()
                .map(|n| {
                    if n.is_empty() {
                        Ok(Operand::Absent)
                    } else if let Some(t) = consts.get(n) {
                        Ok(Operand::Const(t.clone()))
                    } else if let Some(u) = unproduced.get(n) {
                        Err(unsupported_output(n, u))
                    } else if let Some(s) = vars.get(n) {
                        Ok(Operand::Var {
                            name: n.clone(),
                            shape: s.clone(),
                        })
                    } else if let Some(t) = initializer_value(&model, n).or_else(|| proto_initializer(graph_proto, n)) {
                        consts.insert(n.clone(), t.clone());
                        Ok(Operand::Const(t))
                    } else {
                        Err(malformed(format!(
                            "node `{name}` reads tensor `{n}`, which no earlier node produces"
                        )))
                    }
                })
                .collect::<Result<Vec<_>, _>>()?;
            let shape_of = |o: &str| {
                fact_of(o).and_then(|f| f.shape.concretize()).and_then(|dims| {
                    dims.iter()
                        .map(|d| d.as_i64().and_then(|v| usize::try_from(v).ok()))
                        .collect::<Option<Vec<usize>>>()
                })
            };
            let Some(out_name) = outputs.first().map(|o| o.to_string()) else {
                return Err(malformed(format!("node `{name}` has no outputs")));
            };
            let out_shape = shape_of(&out_name)
                .ok_or_else(|| ModelError::Shape(format!("no concrete shape for `{out_name}` (output of node `{name}`)")))?;
            let ctx = LowerCtx {
                node: &name,
                proto: pbnode,
                inputs: operands,
                out_shape: out_shape.clone(),
                output: &out_name,
                outputs: outputs.iter().map(|o| (o.to_string(), shape_of(o))).collect(),
                opset,
                input_types: pbnode.input.iter().map(|x| types.get(x).copied()).collect(),
            };
            let node_name = name.clone();
            match lower(&ctx)? {
                Lowered::Const(t) => {
                    consts.insert(out_name, t);
                }
                Lowered::Graph(subs) => {
                    for sub in subs {
                        vars.insert(sub.output.clone(), sub.shape.clone());
                        nodes.push(Node {
                            name: name.clone(),
                            op_type: pbnode.op_type.clone(),
                            op: sub.op,
                            inputs: sub.inputs,
                            output: sub.output,
                            shape: sub.shape,
                        });
                    }
                }
                Lowered::Op(op, op_inputs) => {
                    vars.insert(out_name.clone(), out_shape.clone());
                    nodes.push(Node {
                        name,
                        op_type: pbnode.op_type.clone(),
                        op,
                        inputs: op_inputs,
                        output: out_name,
                        shape: out_shape,
                    });
                }
            }
            for (k, o) in outputs.iter().enumerate() {
                if !vars.contains_key(*o) && !consts.contains_key(*o) {
                    unproduced.insert(o.to_string(), (node_name.clone(), pbnode.op_type.clone(), k));
                }
            }
        }
        let mut outputs = Vec::new();
        for o in &graph_proto.output {
            match vars.get(&o.name) {
                Some(s) => outputs.push((o.name.clone(), s.clone())),
                None if unproduced.contains_key(&o.name) => return Err(unsupported_output(&o.name, &unproduced[&o.name])),
                None if consts.contains_key(&o.name) => {
                    return Err(malformed(format!("output `{}` is a constant; nothing to prove", o.name)))
                }
                None => return Err(malformed(format!("output `{}` is not produced by any node", o.name))),
            }
        }
        let model_outputs = outputs.clone();
        let selected = (0..outputs.len()).map(|i| (i, None)).collect();
        let mut graph = Graph { inputs, outputs, nodes };
        super::fuse::fuse_linear(&mut graph);
        let sha256 = hex::encode(sha2::Sha256::digest(bytes));
        if !ml && has_batch_first_recurrence(graph_proto) {
            return Ok(LoadedModel {
                graph,
                sha256,
                runner: Runner::Graph,
                model_outputs,
                selected,
            });
        }
        if ml || has_recurrence(graph_proto) {
            return Ok(LoadedModel {
                graph,
                sha256,
                runner: Runner::Onnxruntime {
                    bytes: Arc::new(bytes.to_vec()),
                    version: std::sync::OnceLock::new(),
                },
                model_outputs,
                selected,
            });
        }

        let typed = model.into_typed().map_err(|e| ModelError::Shape(tract_msg(&e)))?;
        let runnable = typed
            .into_optimized()
            .and_then(|m| m.into_runnable())
            .map_err(|e| ModelError::Tract(tract_msg(&e)))?;
        Ok(LoadedModel {
            graph,
            sha256,
            runner: Runner::Tract(runnable),
            model_outputs,
            selected,
        })
    }

    /// Keeps only the named outputs, each whole (`probabilities`) or one element of it
    /// (`probabilities[1]`: an exported classifier's probability of the positive class, the
    /// score a gate reads), in the order given. An empty list keeps every output.
    pub fn select_outputs(&mut self, specs: &[String]) -> Result<(), ModelError> {
        if specs.is_empty() {
            return Ok(());
        }
        let bad = |spec: &str, why: String| ModelError::Output {
            spec: spec.to_string(),
            reason: why,
        };
        let names: Vec<String> = self.model_outputs.iter().map(|(n, _)| n.clone()).collect();
        let mut outputs = Vec::new();
        let mut selected = Vec::new();
        for spec in specs {
            let (name, element) = match spec.strip_suffix(']').and_then(|s| s.rsplit_once('[')) {
                Some((n, i)) => (
                    n,
                    Some(
                        i.parse::<usize>()
                            .map_err(|_| bad(spec, format!("`{i}` is not an element index")))?,
                    ),
                ),
                None => (spec.as_str(), None),
            };
            let Some(k) = names.iter().position(|n| n == name) else {
                return Err(bad(
                    spec,
                    format!("the model has no output `{name}` (its outputs: {})", names.join(", ")),
                ));
            };
            let shape = self.model_outputs[k].1.clone();
            match element {
                None => outputs.push((name.to_string(), shape)),
                Some(i) => {
                    let len: usize = shape.iter().product();
                    if i >= len {
                        return Err(bad(spec, format!("output `{name}` has {len} elements")));
                    }
                    let out = spec.to_string();
                    let taken = self.graph.nodes.iter().any(|n| n.output == out) || self.graph.inputs.iter().any(|i| i.name == out);
                    if taken {
                        return Err(bad(spec, "names a tensor the model already has".into()));
                    }
                    self.graph.nodes.push(super::graph::Node {
                        name: out.clone(),
                        op_type: "select_outputs".into(),
                        op: super::graph::Op::Select {
                            sources: vec![super::graph::Source::Wire { operand: 0, index: i }],
                        },
                        inputs: vec![name.to_string()],
                        output: out.clone(),
                        shape: vec![1],
                    });
                    outputs.push((out, vec![1]));
                }
            }
            if outputs[..outputs.len() - 1].iter().any(|(n, _)| *n == outputs[outputs.len() - 1].0) {
                return Err(bad(spec, "is selected twice".into()));
            }
            selected.push((k, element));
        }
        self.graph.outputs = outputs;
        self.selected = selected;
        Ok(())
    }

    /// The selected outputs of the model's own outputs.
    fn select(&self, all: Vec<Vec<f64>>) -> Vec<Vec<f64>> {
        self.selected
            .iter()
            .map(|&(k, e)| match e {
                None => all.get(k).cloned().unwrap_or_default(),
                Some(i) => all.get(k).and_then(|v| v.get(i)).map(|v| vec![*v]).unwrap_or_default(),
            })
            .collect()
    }

    /// What computes the float reference outputs: `tract`, `onnxruntime <version>` for models
    /// with `ai.onnx.ml` operators or a recurrent layer, or `zkinfer float graph` for models
    /// with a batch-first recurrent layer (see [`Runner::Graph`]).
    pub fn reference(&self) -> String {
        match &self.runner {
            Runner::Tract(_) => "tract".into(),
            Runner::Onnxruntime { version, .. } => version.get().cloned().unwrap_or_else(|| "onnxruntime".into()),
            Runner::Graph => "zkinfer float graph".into(),
        }
    }

    /// The float outputs on each sample (one flat list per input and per output).
    pub fn run_float_batch(&self, samples: &[Vec<Vec<f64>>]) -> Result<Vec<Vec<Vec<f64>>>, ModelError> {
        let Runner::Onnxruntime { bytes, version } = &self.runner else {
            return samples.iter().map(|s| self.run_float(s)).collect();
        };
        for s in samples {
            self.check_sample(s)?;
        }
        let inputs: Vec<(String, Vec<usize>)> = self.graph.inputs.iter().map(|i| (i.name.clone(), i.shape.clone())).collect();
        let names: Vec<String> = self.model_outputs.iter().map(|(n, _)| n.clone()).collect();
        let (v, outs) = super::reference::run(bytes, &inputs, &names, samples)?;
        let _ = version.set(v);
        for o in &outs {
            for ((name, shape), values) in self.model_outputs.iter().zip(o) {
                let n: usize = shape.iter().product();
                if values.len() != n {
                    return Err(ModelError::Reference(format!(
                        "output `{name}` has {} values in onnxruntime but {n} (shape {shape:?}) in zkinfer's reading of the model",
                        values.len()
                    )));
                }
            }
        }
        Ok(outs.into_iter().map(|o| self.select(o)).collect())
    }

    fn check_sample(&self, sample: &[Vec<f64>]) -> Result<(), ModelError> {
        for (input, values) in self.graph.inputs.iter().zip(sample) {
            if values.len() != input.len() {
                return Err(ModelError::Data {
                    path: "<sample>".into(),
                    reason: format!("input `{}` takes {} values, got {}", input.name, input.len(), values.len()),
                });
            }
        }
        Ok(())
    }

    /// Runs the float model on one sample (one flat list per input).
    pub fn run_float(&self, sample: &[Vec<f64>]) -> Result<Vec<Vec<f64>>, ModelError> {
        let runnable = match &self.runner {
            Runner::Tract(r) => r,
            Runner::Onnxruntime { .. } => {
                return Ok(self.run_float_batch(&[sample.to_vec()])?.pop().unwrap_or_default());
            }
            Runner::Graph => {
                self.check_sample(sample)?;
                let mut env = self.graph.eval_float(sample);
                let all = self.model_outputs.iter().map(|(n, _)| env.remove(n).unwrap_or_default()).collect();
                return Ok(self.select(all));
            }
        };
        let mut tv = TVec::new();
        for (input, values) in self.graph.inputs.iter().zip(sample) {
            if values.len() != input.len() {
                return Err(ModelError::Data {
                    path: "<sample>".into(),
                    reason: format!("input `{}` takes {} values, got {}", input.name, input.len(), values.len()),
                });
            }
            let data: Vec<f32> = values.iter().map(|&v| v as f32).collect();
            let t = tract_ndarray::ArrayD::from_shape_vec(input.shape.clone(), data).map_err(|e| ModelError::Tract(e.to_string()))?;
            tv.push(Tensor_::from(t).into_tvalue());
        }
        let out = runnable.run(tv).map_err(|e| ModelError::Tract(tract_msg(&e)))?;
        let all = out
            .iter()
            .map(|t| {
                let t = t.cast_to::<f32>().map_err(|e| ModelError::Tract(tract_msg(&e)))?;
                let v = t.to_plain_array_view::<f32>().map_err(|e| ModelError::Tract(tract_msg(&e)))?;
                Ok(v.iter().map(|&v| v as f64).collect())
            })
            .collect::<Result<Vec<Vec<f64>>, ModelError>>()?;
        Ok(self.select(all))
    }
}

type Tensor_ = tract_onnx::prelude::Tensor;

fn to_f32(t: &Arc<Tensor_>) -> Option<Tensor> {
    let c = t.cast_to::<f32>().ok()?;
    let data = c.to_plain_array_view::<f32>().ok()?.iter().copied().collect();
    Some(Tensor {
        shape: t.shape().to_vec(),
        data,
    })
}

/// Older PyTorch exports write a per-channel PRelu slope as `[C]`, which ONNX broadcasting
/// aligns with the last axis (and tract refuses); what they mean is the channel axis. When the
/// input's axis 1 has `C` values and its last axis does not, the slope becomes `[C, 1, …]`.
fn fix_prelu_slopes(proto: &mut pb::ModelProto) {
    use pb::tensor_shape_proto::dimension::Value as Dim;
    use pb::type_proto::Value as Ty;
    let Some(g) = proto.graph.as_mut() else { return };
    let dims_of = |name: &str| -> Option<Vec<i64>> {
        let vi = g.input.iter().chain(&g.value_info).find(|v| v.name == name)?;
        let Some(Ty::TensorType(tt)) = vi.r#type.as_ref()?.value.as_ref() else {
            return None;
        };
        tt.shape
            .as_ref()?
            .dim
            .iter()
            .map(|d| match d.value {
                Some(Dim::DimValue(v)) if v > 0 => Some(v),
                _ => None,
            })
            .collect()
    };
    let fixes: Vec<(String, usize)> = g
        .node
        .iter()
        .filter(|n| n.op_type == "PRelu" && n.input.len() == 2)
        .filter_map(|n| {
            let x = dims_of(&n.input[0])?;
            let slope = g.initializer.iter().find(|t| t.name == n.input[1])?;
            let c = *slope.dims.first()?;
            (slope.dims.len() == 1 && x.len() >= 3 && c > 1 && x[1] == c && x[x.len() - 1] != c).then(|| (n.input[1].clone(), x.len()))
        })
        .collect();
    for (name, rank) in fixes {
        if let Some(t) = g.initializer.iter_mut().find(|t| t.name == name) {
            let c = t.dims[0];
            t.dims = std::iter::once(c).chain(std::iter::repeat_n(1, rank - 2)).collect();
        }
    }
}

/// An initializer read straight from the protobuf (when tract's analysis no longer exposes it,
/// e.g. statistics of an inference-mode BatchNormalization).
fn proto_initializer(graph: &pb::GraphProto, name: &str) -> Option<Tensor> {
    let t = graph.initializer.iter().find(|t| t.name == name)?;
    let data = super::elem::tensor_values(t, name).ok()?.into_iter().map(|v| v as f32).collect();
    Some(Tensor {
        shape: t.dims.iter().map(|&d| d.max(0) as usize).collect(),
        data,
    })
}

fn initializer_value(model: &InferenceModel, name: &str) -> Option<Tensor> {
    let outlet = model
        .find_outlet_label(name)
        .or_else(|| model.nodes().iter().find(|n| n.name == name).map(|n| OutletId::new(n.id, 0)))?;
    model.outlet_fact(outlet).ok()?.value.concretize().and_then(|t| to_f32(&t))
}

/// Concrete shape of a model input: batch dim 1, other symbolic dims from the sample size.
fn input_shape(vi: &pb::ValueInfoProto, sample_len: Option<usize>) -> Result<Vec<usize>, ModelError> {
    use pb::tensor_shape_proto::dimension::Value as Dim;
    use pb::type_proto::Value as Ty;
    let err = |reason: String| ModelError::Input {
        name: vi.name.clone(),
        reason,
    };
    let Some(Ty::TensorType(tt)) = vi.r#type.as_ref().and_then(|t| t.value.as_ref()) else {
        return Err(err("has no tensor type".into()));
    };
    let dims = tt.shape.as_ref().map(|s| s.dim.clone()).unwrap_or_default();
    if dims.iter().any(|d| matches!(d.value, Some(Dim::DimValue(0)))) {
        let shape: Vec<String> = dims
            .iter()
            .map(|d| match &d.value {
                Some(Dim::DimValue(v)) => v.to_string(),
                Some(Dim::DimParam(p)) => p.clone(),
                None => "?".into(),
            })
            .collect();
        return Err(ModelError::UnsupportedForm {
            node: vi.name.clone(),
            op_type: "graph input".into(),
            reason: format!(
                "it has no elements (shape [{}]), so there is nothing to prove about it",
                shape.join(", ")
            ),
        });
    }
    let mut shape: Vec<Option<usize>> = dims
        .iter()
        .map(|d| match &d.value {
            Some(Dim::DimValue(v)) if *v > 0 => Some(*v as usize),
            _ => None,
        })
        .collect();
    if let Some(first) = shape.first_mut() {
        if first.is_none() {
            *first = Some(1); // batch
        }
    }
    let unknown: Vec<usize> = shape.iter().enumerate().filter(|(_, d)| d.is_none()).map(|(i, _)| i).collect();
    match (unknown.len(), sample_len) {
        (0, _) => {}
        (1, Some(n)) => {
            let known = shape.iter().flatten().try_fold(1usize, |a, &d| a.checked_mul(d)).unwrap_or(0);
            if known == 0 || n % known != 0 {
                return Err(err(format!("cannot fit {n} sample values into shape {dims:?}")));
            }
            shape[unknown[0]] = Some(n / known);
        }
        (1, None) => return Err(err("has a symbolic dimension; give sample data to fix it".into())),
        _ => {
            return Err(err(format!(
                "has {} symbolic dimensions besides the batch; cannot fix them",
                unknown.len()
            )))
        }
    }
    let shape: Vec<usize> = shape.into_iter().map(|d| d.unwrap_or(1)).collect();
    match shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d)) {
        Some(n) if n <= 1 << 28 => Ok(shape),
        _ => Err(err(format!("shape {shape:?} is too large"))),
    }
}

/// The node's name, or `OpType_index` when the model leaves it empty.
fn node_name(n: &pb::NodeProto, i: usize) -> String {
    if n.name.is_empty() {
        format!("{}_{}", n.op_type, i)
    } else {
        n.name.clone()
    }
}

/// Whether an ONNX element type holds integers (not bool).
fn is_integer_type(t: i32) -> bool {
    t != super::elem::ty::BOOL && super::elem::integer_range(t).is_some()
}

/// Ops whose output has the element type of their first data operand (for tracking which
/// tensors hold integers); `Where` follows its second operand.
const TYPE_FOLLOWING: &[&str] = &[
    "Abs",
    "Add",
    "Clip",
    "Concat",
    "Div",
    "Expand",
    "Flatten",
    "Gather",
    "Identity",
    "Max",
    "Min",
    "Mul",
    "Neg",
    "Pad",
    "ReduceMax",
    "ReduceMin",
    "ReduceSum",
    "Relu",
    "Reshape",
    "Slice",
    "Squeeze",
    "Sub",
    "Sum",
    "Tile",
    "Transpose",
    "Unsqueeze",
];

/// Ops whose output is boolean.
const BOOLEAN_OUTPUT: &[&str] = &[
    "And",
    "Equal",
    "Greater",
    "GreaterOrEqual",
    "IsInf",
    "IsNaN",
    "Less",
    "LessOrEqual",
    "Not",
    "Or",
    "Xor",
];

/// Refuses supported ops in forms zkinfer does not prove, before tract's analysis can fail on
/// them less clearly (`BatchNormalization` in training mode, `Pad` with `axes`), and returns
/// the element type of every tensor whose type the model states or implies: declared inputs,
/// initializers and value infos, constants, casts, comparisons, and ops whose output keeps an
/// operand's type (for [`refuse_integer_division`] and `Cast`).
fn check_forms(graph: &pb::GraphProto) -> Result<HashMap<String, i32>, ModelError> {
    let mut types: HashMap<String, i32> = HashMap::new();
    let elem = |v: &pb::ValueInfoProto| match &v.r#type.as_ref()?.value {
        Some(pb::type_proto::Value::TensorType(t)) => Some(t.elem_type),
        _ => None,
    };
    for v in graph.input.iter().chain(&graph.value_info) {
        if let Some(t) = elem(v).filter(|t| *t != 0) {
            types.insert(v.name.clone(), t);
        }
    }
    for t in &graph.initializer {
        types.insert(t.name.clone(), t.data_type);
    }
    for (i, n) in graph.node.iter().enumerate() {
        let form = |reason: String| ModelError::UnsupportedForm {
            node: node_name(n, i),
            op_type: n.op_type.clone(),
            reason,
        };
        let attr = |name: &str| n.attribute.iter().find(|a| a.name == name);
        let type_of = |k: usize| n.input.get(k).and_then(|x| types.get(x)).copied();
        match n.op_type.as_str() {
            "BatchNormalization"
                if attr("training_mode").is_some_and(|a| a.i != 0) || n.output.iter().filter(|o| !o.is_empty()).count() > 1 =>
            {
                return Err(form(
                    "training mode (batch statistics, running-mean outputs) is not supported; export the model for inference".into(),
                ))
            }
            "Pad" if n.input.get(3).is_some_and(|a| !a.is_empty()) => {
                return Err(form(
                    "the `axes` input (opset 18) is not supported; give pads for every axis".into(),
                ))
            }
            _ => {}
        }
        let out_type = match n.op_type.as_str() {
            "Cast" => attr("to").map(|a| a.i as i32),
            "CastLike" => type_of(1),
            "Constant" => match (attr("value").and_then(|a| a.t.as_ref()), attr("value_float"), attr("value_floats")) {
                (Some(t), _, _) => Some(t.data_type),
                (None, Some(_), _) | (None, _, Some(_)) => Some(super::elem::ty::FLOAT),
                _ => attr("value_int").or(attr("value_ints")).map(|_| super::elem::ty::INT64),
            },
            op if BOOLEAN_OUTPUT.contains(&op) => Some(super::elem::ty::BOOL),
            "Where" => type_of(1),
            // the classifiers' first output is the label; their scores are floats
            "LinearClassifier" | "SVMClassifier" | "TreeEnsembleClassifier" if super::ml::is_ml(n) => Some(super::elem::ty::INT64),
            "ArrayFeatureExtractor" => type_of(0),
            op if TYPE_FOLLOWING.contains(&op) => type_of(0),
            _ => None,
        };
        if let Some(t) = out_type {
            let outs: &[String] = if ["LinearClassifier", "SVMClassifier", "TreeEnsembleClassifier"].contains(&n.op_type.as_str()) {
                &n.output[..1]
            } else {
                &n.output
            };
            for o in outs.iter().filter(|o| !o.is_empty()) {
                types.insert(o.clone(), t);
            }
            if let Some(o) = n.output.get(1).filter(|o| !o.is_empty() && outs.len() == 1) {
                types.insert(o.clone(), super::elem::ty::FLOAT);
            }
        }
    }
    Ok(types)
}

/// Element types tract cannot hold (bfloat16, float8, float4, 4- and 2-bit integers).
fn is_narrow_type(t: i32) -> bool {
    use super::elem::ty;
    t == ty::BFLOAT16 || (ty::FLOAT8E4M3FN..=ty::INT2).contains(&t)
}

/// A copy of `proto` in which every tensor of a narrow element type (see [`is_narrow_type`])
/// is a float tensor: declared inputs, outputs and value infos, initializers and constants
/// (their values converted), and the targets of casts that keep values (int4 → int8).
/// `None` when the model has no such type. A cast or cast-like to a narrow type that rounds or
/// clips is an unsupported form. The graph zkinfer lowers keeps the original types.
fn widen_narrow_types(proto: &pb::ModelProto, types: &HashMap<String, i32>, origin: &str) -> Result<Option<pb::ModelProto>, ModelError> {
    use super::elem::{tensor_values, ty};
    let Some(g) = proto.graph.as_ref() else { return Ok(None) };
    let tensor_narrow = |t: &pb::TensorProto| is_narrow_type(t.data_type);
    let narrow = types.values().any(|t| is_narrow_type(*t))
        || g.initializer.iter().any(tensor_narrow)
        || g.node
            .iter()
            .any(|n| n.attribute.iter().any(|a| a.t.as_ref().is_some_and(tensor_narrow)));
    if !narrow {
        return Ok(None);
    }
    let to_float = |t: &mut pb::TensorProto| -> Result<(), ModelError> {
        if is_narrow_type(t.data_type) {
            let values = tensor_values(t, &t.name).map_err(|reason| ModelError::Malformed {
                path: origin.to_string(),
                reason,
            })?;
            *t = pb::TensorProto {
                name: t.name.clone(),
                dims: t.dims.clone(),
                data_type: ty::FLOAT,
                float_data: values.into_iter().map(|v| v as f32).collect(),
                ..Default::default()
            };
        }
        Ok(())
    };
    let mut copy = proto.clone();
    let g = copy.graph.as_mut().expect("a graph");
    for v in g.input.iter_mut().chain(g.output.iter_mut()).chain(g.value_info.iter_mut()) {
        if let Some(pb::type_proto::Value::TensorType(t)) = v.r#type.as_mut().and_then(|t| t.value.as_mut()) {
            if is_narrow_type(t.elem_type) {
                t.elem_type = ty::FLOAT;
            }
        }
    }
    for t in g.initializer.iter_mut() {
        to_float(t)?;
    }
    for (i, n) in g.node.iter_mut().enumerate() {
        let from = n.input.first().and_then(|x| types.get(x)).copied();
        let target = match n.op_type.as_str() {
            "Cast" => n.attribute.iter().find(|a| a.name == "to").map(|a| a.i as i32),
            "CastLike" => n.input.get(1).and_then(|x| types.get(x)).copied(),
            _ => None,
        };
        if let Some(to) = target.filter(|t| is_narrow_type(*t)) {
            // a cast to int4/int2 that changes values is a table (see ops/cast.rs); tract
            // computes its float reference without the truncation
            let table = n.op_type == "Cast" && super::ops::cast::to_integer(to).is_some();
            if !super::ops::cast::keeps_values(from, to) && !table {
                return Err(ModelError::UnsupportedForm {
                    node: node_name(n, i),
                    op_type: n.op_type.clone(),
                    reason: super::ops::cast::rounding_reason(from, to),
                });
            }
            if let Some(a) = n.attribute.iter_mut().find(|a| a.name == "to") {
                a.i = ty::FLOAT as i64;
            }
        }
        for a in n.attribute.iter_mut() {
            if let Some(t) = a.t.as_mut() {
                to_float(t)?;
            }
        }
    }
    Ok(Some(copy))
}

/// Refuses a `Div` (that tract did not fold to a constant) with an integer operand: ONNX
/// integer division truncates toward zero, and the circuit proves real-valued division.
fn refuse_integer_division(n: &pb::NodeProto, i: usize, types: &HashMap<String, i32>) -> Result<(), ModelError> {
    if n.op_type == "Div" && n.input.iter().take(2).any(|x| types.get(x).is_some_and(|t| is_integer_type(*t))) {
        return Err(ModelError::UnsupportedForm {
            node: node_name(n, i),
            op_type: n.op_type.clone(),
            reason: "integer division truncates toward zero, and zkinfer proves real-valued division; cast the operands to float first"
                .into(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod form_tests {
    use super::*;

    fn value(name: &str, elem_type: i32) -> pb::ValueInfoProto {
        pb::ValueInfoProto {
            name: name.into(),
            r#type: Some(pb::TypeProto {
                value: Some(pb::type_proto::Value::TensorType(pb::type_proto::Tensor { elem_type, shape: None })),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn node(op: &str, inputs: &[&str], outputs: &[&str]) -> pb::NodeProto {
        pb::NodeProto {
            op_type: op.into(),
            input: inputs.iter().map(|s| s.to_string()).collect(),
            output: outputs.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        }
    }

    fn graph(inputs: Vec<pb::ValueInfoProto>, nodes: Vec<pb::NodeProto>) -> pb::GraphProto {
        pb::GraphProto {
            input: inputs,
            node: nodes,
            ..Default::default()
        }
    }

    #[test]
    fn integer_division_is_refused_float_division_is_not() {
        // int32 a → Neg → Div by b: the integer type flows through Neg
        let g = graph(
            vec![value("a", 6), value("b", 1)],
            vec![node("Neg", &["a"], &["n"]), node("Div", &["n", "b"], &["y"])],
        );
        let ints = check_forms(&g).unwrap();
        let e = refuse_integer_division(&g.node[1], 1, &ints).unwrap_err().to_string();
        assert!(e.contains("Div_1") && e.contains("integer division truncates"), "{e}");
        // a Cast to float first: accepted
        let mut cast = node("Cast", &["a"], &["f"]);
        cast.attribute.push(pb::AttributeProto {
            name: "to".into(),
            i: 1,
            ..Default::default()
        });
        let g = graph(vec![value("a", 6), value("b", 1)], vec![cast, node("Div", &["f", "b"], &["y"])]);
        let ints = check_forms(&g).unwrap();
        assert!(refuse_integer_division(&g.node[1], 1, &ints).is_ok());
    }

    #[test]
    fn training_mode_batchnorm_and_pad_axes_are_refused() {
        let g = graph(
            vec![value("x", 1)],
            vec![node("BatchNormalization", &["x", "s", "b", "m", "v"], &["y", "rm", "rv"])],
        );
        assert!(check_forms(&g).unwrap_err().to_string().contains("training mode"));
        let g = graph(vec![value("x", 1)], vec![node("Pad", &["x", "p", "", "axes"], &["y"])]);
        assert!(check_forms(&g).unwrap_err().to_string().contains("`axes`"));
        let g = graph(vec![value("x", 1)], vec![node("Pad", &["x", "p"], &["y"])]);
        assert!(check_forms(&g).is_ok());
    }

    #[test]
    fn an_input_without_elements_is_an_unsupported_form() {
        use pb::tensor_shape_proto::{dimension::Value as D, Dimension};
        let mut v = value("x", 1);
        if let Some(pb::type_proto::Value::TensorType(t)) = v.r#type.as_mut().and_then(|t| t.value.as_mut()) {
            t.shape = Some(pb::TensorShapeProto {
                dim: [0, 3, 4]
                    .iter()
                    .map(|&d| Dimension {
                        value: Some(D::DimValue(d)),
                        ..Default::default()
                    })
                    .collect(),
            });
        }
        let e = input_shape(&v, None).unwrap_err();
        assert!(matches!(e, ModelError::UnsupportedForm { .. }), "{e:?}");
        assert!(e.to_string().contains("no elements (shape [0, 3, 4])"), "{e}");
    }

    fn cast(input: &str, output: &str, to: i32) -> pb::NodeProto {
        let mut n = node("Cast", &[input], &[output]);
        n.attribute.push(pb::AttributeProto {
            name: "to".into(),
            i: to as i64,
            ..Default::default()
        });
        n
    }

    #[test]
    fn narrow_types_become_floats_for_tract_and_rounding_casts_to_them_are_refused() {
        use crate::elem::ty;
        let model = |g: pb::GraphProto| pb::ModelProto {
            graph: Some(g),
            ..Default::default()
        };
        // int2 input → int4 (widening): tract sees a float input and a cast to float; the types
        // map keeps the model's types
        let mut g = graph(vec![value("x", ty::INT2)], vec![cast("x", "y", ty::INT4)]);
        g.output.push(value("y", ty::INT4));
        let types = check_forms(&g).unwrap();
        assert_eq!((types["x"], types["y"]), (ty::INT2, ty::INT4));
        let wide = widen_narrow_types(&model(g), &types, "m.onnx").unwrap().expect("a float copy");
        let wg = wide.graph.unwrap();
        let elem = |v: &pb::ValueInfoProto| match &v.r#type.as_ref().unwrap().value {
            Some(pb::type_proto::Value::TensorType(t)) => t.elem_type,
            _ => 0,
        };
        assert_eq!((elem(&wg.input[0]), elem(&wg.output[0])), (ty::FLOAT, ty::FLOAT));
        assert_eq!(wg.node[0].attribute[0].i, ty::FLOAT as i64);
        // a narrow initializer's values are converted: int4 [-8, 7]
        let mut g = graph(vec![value("x", ty::FLOAT)], vec![node("Add", &["x", "w"], &["y"])]);
        g.initializer.push(pb::TensorProto {
            name: "w".into(),
            dims: vec![2],
            data_type: ty::INT4,
            raw_data: vec![0x78],
            ..Default::default()
        });
        let types = check_forms(&g).unwrap();
        let wide = widen_narrow_types(&model(g), &types, "m.onnx").unwrap().unwrap();
        assert_eq!(wide.graph.unwrap().initializer[0].float_data, [-8.0, 7.0]);
        // float → float8 rounds: an unsupported form naming both types
        let g = graph(vec![value("x", ty::FLOAT)], vec![cast("x", "y", ty::FLOAT8E4M3FN)]);
        let types = check_forms(&g).unwrap();
        let e = widen_narrow_types(&model(g), &types, "m.onnx").unwrap_err();
        assert!(matches!(e, ModelError::UnsupportedForm { .. }), "{e:?}");
        assert!(e.to_string().contains("from FLOAT to FLOAT8E4M3FN rounds or clips"), "{e}");
        // float → int4 is a table: tract gets a float cast
        let g = graph(vec![value("x", ty::FLOAT)], vec![cast("x", "y", ty::INT4)]);
        let types = check_forms(&g).unwrap();
        let wide = widen_narrow_types(&model(g), &types, "m.onnx").unwrap().unwrap();
        assert_eq!(wide.graph.unwrap().node[0].attribute[0].i, ty::FLOAT as i64);
        // nothing narrow: no copy
        let g = graph(vec![value("x", ty::FLOAT)], vec![cast("x", "y", ty::DOUBLE)]);
        let types = check_forms(&g).unwrap();
        assert!(widen_narrow_types(&model(g), &types, "m.onnx").unwrap().is_none());
    }
}
