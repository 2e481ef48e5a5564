//! `ai.onnx.ml` `TreeEnsembleRegressor`: the ensemble's target scores ([`super::tree`]) with
//! the `SUM` or `AVERAGE` aggregate and the base values. As in ONNX Runtime, a single target
//! takes no `post_transform` (only PROBIT would apply, and it is refused); several targets take
//! it per target.

use super::classify;
use super::{tree, Composite, LowerCtx, Lowered};
use crate::ModelError;

/// Lowers a `TreeEnsembleRegressor` node.
pub fn lower(ctx: &LowerCtx) -> Result<Lowered, ModelError> {
    let (x, features) = classify::input_row(ctx)?;
    let n = ctx.attr_int("n_targets", 1).max(1) as usize;
    let forest = tree::parse(ctx, "target", features, n)?;
    let base = ctx.attr_floats("base_values")?.unwrap_or_default();
    if !base.is_empty() && base.len() != n {
        return Err(ctx.err(format!("`base_values` has {} values for {n} targets", base.len())));
    }
    let factor = match ctx.attr_str("aggregate_function", "SUM").as_str() {
        "SUM" => 1.0,
        "AVERAGE" => 1.0 / forest.trees() as f64,
        other @ ("MIN" | "MAX") => {
            return Err(ctx.unsupported_form(format!("`aggregate_function` {other} is not supported (SUM and AVERAGE are)")))
        }
        other => return Err(ctx.err(format!("unknown `aggregate_function` {other:?}"))),
    };
    let post = classify::post(ctx)?;
    let mut c = Composite::new(ctx);
    let s = tree::scores(ctx, &mut c, &x, &forest, n, factor, &base)?;
    let y = if n == 1 { s } else { classify::transform(&mut c, &s, n, post) };
    classify::write_regressor(&mut c, ctx, &y);
    Ok(c.finish())
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    /// Two trees over two features with every split mode:
    /// tree 0: x0 ≤ 0.5 ? (x1 < 2 ? 1 : 2) : (x0 ≥ 3 ? 3 : 4)
    /// tree 1: x1 > 1 ? (x0 = 2 ? 10 : 20) : (x1 ≠ 0 ? 30 : 40)
    fn ensemble(aggregate: &str) -> TestNode {
        let mut n = ctx_with("TreeEnsembleRegressor", vec![var("x", &[1, 2])], &[1, 1]);
        n.ints("nodes_treeids", &[0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1]);
        n.ints("nodes_nodeids", &[0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6]);
        n.ints("nodes_featureids", &[0, 1, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0]);
        n.strings(
            "nodes_modes",
            &[
                "BRANCH_LEQ",
                "BRANCH_LT",
                "BRANCH_GTE",
                "LEAF",
                "LEAF",
                "LEAF",
                "LEAF",
                "BRANCH_GT",
                "BRANCH_EQ",
                "BRANCH_NEQ",
                "LEAF",
                "LEAF",
                "LEAF",
                "LEAF",
            ],
        );
        n.floats(
            "nodes_values",
            &[0.5, 2.0, 3.0, 0.0, 0.0, 0.0, 0.0, 1.0, 2.0, 0.0, 0.0, 0.0, 0.0, 0.0],
        );
        n.ints("nodes_truenodeids", &[1, 3, 5, 0, 0, 0, 0, 1, 3, 5, 0, 0, 0, 0]);
        n.ints("nodes_falsenodeids", &[2, 4, 6, 0, 0, 0, 0, 2, 4, 6, 0, 0, 0, 0]);
        n.ints("target_treeids", &[0, 0, 0, 0, 1, 1, 1, 1]);
        n.ints("target_nodeids", &[3, 4, 5, 6, 3, 4, 5, 6]);
        n.ints("target_ids", &[0; 8]);
        n.floats("target_weights", &[1.0, 2.0, 3.0, 4.0, 10.0, 20.0, 30.0, 40.0]);
        n.floats("base_values", &[0.25]);
        n.string("aggregate_function", aggregate);
        n
    }

    fn reference(x0: f64, x1: f64) -> f64 {
        let t0 = if x0 <= 0.5 {
            if x1 < 2.0 {
                1.0
            } else {
                2.0
            }
        } else if x0 >= 3.0 {
            3.0
        } else {
            4.0
        };
        let t1 = if x1 > 1.0 {
            if x0 == 2.0 {
                10.0
            } else {
                20.0
            }
        } else if x1 != 0.0 {
            30.0
        } else {
            40.0
        };
        t0 + t1
    }

    #[test]
    fn every_split_mode_and_both_aggregates_match_the_trees() {
        let sum = ensemble("SUM").run(super::lower).unwrap();
        let avg = ensemble("AVERAGE").run(super::lower).unwrap();
        let points = [-1.0, 0.0, 0.5, 0.75, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0];
        for &x0 in &points {
            for &x1 in &points {
                let want = reference(x0, x1);
                assert_eq!(eval_lowered(&sum, &[("x", vec![x0, x1])]), vec![want + 0.25], "SUM at ({x0}, {x1})");
                let got = eval_lowered(&avg, &[("x", vec![x0, x1])])[0];
                assert!((got - (want / 2.0 + 0.25)).abs() < 1e-5, "AVERAGE at ({x0}, {x1}): {got}");
            }
        }
    }

    #[test]
    fn equal_splits_are_merged_and_leaves_cost_no_rows() {
        let l = ensemble("SUM").run(super::lower).unwrap();
        let ops = graph_ops(&l);
        // one Threshold node for all six splits, the weighted sum last
        assert_eq!(ops.iter().filter(|o| **o == "Threshold").count(), 1, "{ops:?}");
        assert_eq!(ops.last(), Some(&"View"));
    }

    #[test]
    fn malformed_ensembles_name_the_attribute() {
        let mut n = ensemble("SUM");
        n.ints("nodes_featureids", &[0, 1, 5, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0]);
        let e = n.run(super::lower).unwrap_err().to_string();
        assert!(e.contains("feature 5 (`nodes_featureids`)") && e.contains("2 features"), "{e}");
        let mut n = ensemble("SUM");
        n.ints("nodes_truenodeids", &[1, 3, 5, 0, 0, 0, 0, 1, 3, 9, 0, 0, 0, 0]);
        let e = n.run(super::lower).unwrap_err().to_string();
        assert!(e.contains("names true node 9"), "{e}");
        let mut n = ensemble("SUM");
        n.ints("nodes_truenodeids", &[1, 3, 5, 0, 0, 0, 0, 1, 0, 5, 0, 0, 0, 0]);
        let e = n.run(super::lower).unwrap_err().to_string();
        assert!(e.contains("not reachable from the tree's root"), "{e}");
        let mut n = ensemble("MAX");
        n.string("aggregate_function", "MAX");
        let e = n.run(super::lower).unwrap_err().to_string();
        assert!(e.contains("`aggregate_function` MAX is not supported"), "{e}");
        let mut n = ensemble("SUM");
        n.strings("nodes_modes", &["BRANCH_MEMBER"; 14]);
        let e = n.run(super::lower).unwrap_err().to_string();
        assert!(e.contains("`nodes_modes` \"BRANCH_MEMBER\""), "{e}");
        let mut n = ensemble("SUM");
        n.ints("target_nodeids", &[3, 4, 5, 6, 3, 4, 5, 0]);
        let e = n.run(super::lower).unwrap_err().to_string();
        assert!(e.contains("which is a split, not a leaf"), "{e}");
    }
}
