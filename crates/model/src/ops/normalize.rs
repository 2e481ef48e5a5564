//! The normalisation shared by LayerNormalization and InstanceNormalization:
//! `(x − mean) / √(var + eps)` over groups of elements, then an element-wise affine map.
//!
//! mean and variance are linear combinations (the squares are products), the inverse root is a
//! lookup table over the calibrated variance range, and the final scaling is a product.

use super::{compose, Composite, LowerCtx, Lowered};
use crate::graph::{Activation, LinTerm, Op, Param};

/// Extra outputs of the group statistics (LayerNormalization's `Mean` and `InvStdDev`): the
/// output tensor names, and the shape they have (the group shape with the normalised axes 1).
#[derive(Default)]
pub struct Stats {
    /// Name of the mean output.
    pub mean: Option<String>,
    /// Name of the `1/√(var + eps)` output.
    pub inv_std_dev: Option<String>,
    /// Their shape.
    pub shape: Vec<usize>,
}

/// The normalisation of `x` (shape `shape`) over `axes` (each group: the elements sharing the
/// other coordinates) followed by the affine map `y[i] = gamma[i]·x̂[i] + beta[i]`; the group
/// means and inverse deviations are also written to `stats`' outputs when named.
#[allow(clippy::too_many_arguments)]
pub fn normalize(
    ctx: &LowerCtx,
    x: &str,
    shape: &[usize],
    axes: &[usize],
    eps: f32,
    gamma: &[f32],
    beta: &[f32],
    stats: &Stats,
) -> Lowered {
    let (groups, group_of) = compose::groups_over(shape, axes);
    let (groups, group_of) = (&groups[..], &group_of[..]);
    let mut composite = Composite::new(ctx);
    let c = &mut composite;
    let n = groups.first().map(|g| g.len()).unwrap_or(1).max(1);
    let gshape = vec![groups.len()];
    let mean = compose::sum(c, x, groups, 1.0 / n as f32, &gshape);
    let d = compose::minus_grouped(c, x, &mean, group_of, shape);
    let sq = c.add(
        Op::Product {
            pairs: (0..group_of.len()).map(|i| (i, i)).collect(),
        },
        vec![d.clone(), d.clone()],
        shape.to_vec(),
    );
    let var = compose::sum(c, &sq, groups, 1.0 / n as f32, &gshape);
    let r = c.add(Op::Activation(Activation::Rsqrt { eps: Param::new(eps) }), vec![var], gshape);
    for (name, t) in [(&stats.mean, &mean), (&stats.inv_std_dev, &r)] {
        if let Some(name) = name {
            c.add_output(Op::View, vec![t.clone()], stats.shape.clone(), name);
        }
    }
    let xhat = c.add(
        Op::Product {
            pairs: group_of.iter().enumerate().map(|(i, &g)| (i, g)).collect(),
        },
        vec![d, r],
        shape.to_vec(),
    );
    let rows = gamma
        .iter()
        .enumerate()
        .map(|(i, &coeff)| {
            vec![LinTerm {
                operand: 0,
                index: i,
                coeff,
            }]
        })
        .collect();
    c.add(
        Op::Linear {
            exact: false,
            rows,
            bias: beta.to_vec(),
        },
        vec![xhat],
        shape.to_vec(),
    );
    composite.finish()
}
