fn main() {
    for n in ["absent", "all", "fwd_absent", "fwd_all"] {
        let p = format!("/tmp/lr/{n}.onnx");
        let m = zkinfer_model::LoadedModel::load(std::path::Path::new(&p), None).unwrap();
        let x = vec![vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]];
        let f = m.run_float(&x).unwrap();
        let g = m.graph.eval_float(&x);
        let outs: Vec<_> = m.graph.outputs.iter().map(|(o, _)| g[o].clone()).collect();
        println!("{n}: tract {f:?}\n   graph {outs:?}");
    }
}
