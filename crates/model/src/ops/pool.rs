//! Window arithmetic shared by the convolutions and the pooling ops: spatial attributes,
//! padding (explicit or `auto_pad`) and the input positions each output window reads.

use super::shape::{numel, unravel};
use super::LowerCtx;
use crate::ModelError;

/// A per-spatial-dimension attribute (`strides`, `dilations`, `kernel_shape`), `default` when
/// absent; its length must match the spatial rank and its values must be positive.
pub fn spatial_attr(ctx: &LowerCtx, name: &str, nsp: usize, default: usize) -> Result<Vec<usize>, ModelError> {
    match ctx.attr_ints(name) {
        None => Ok(vec![default; nsp]),
        Some(v) if v.is_empty() => Ok(vec![default; nsp]),
        Some(v) => {
            if v.len() != nsp || v.iter().any(|&x| x < 1) {
                return Err(ctx.err(format!("{name} = {v:?} must hold {nsp} positive values")));
            }
            Ok(v.iter().map(|&x| x as usize).collect())
        }
    }
}

/// Padding at the start of each spatial dimension, from `pads` or `auto_pad`, checked against
/// the output shape tract inferred.
pub fn begin_pads(
    ctx: &LowerCtx,
    input: &[usize],
    output: &[usize],
    kernel: &[usize],
    strides: &[usize],
    dilations: &[usize],
) -> Result<Vec<i64>, ModelError> {
    let nsp = input.len();
    let auto = ctx.attr_str("auto_pad", "NOTSET");
    match auto.as_str() {
        "NOTSET" => match ctx.attr_ints("pads") {
            None => Ok(vec![0; nsp]),
            Some(p) if p.len() == 2 * nsp && p.iter().all(|&v| v >= 0) => Ok(p[..nsp].to_vec()),
            Some(p) => Err(ctx.err(format!("pads = {p:?} must hold {} non-negative values", 2 * nsp))),
        },
        "VALID" => Ok(vec![0; nsp]),
        "SAME_UPPER" | "SAME_LOWER" => Ok((0..nsp)
            .map(|d| {
                let span = (kernel[d] as i64 - 1) * dilations[d] as i64 + 1;
                let total = ((output[d] as i64 - 1) * strides[d] as i64 + span - input[d] as i64).max(0);
                if auto == "SAME_UPPER" {
                    total / 2
                } else {
                    total - total / 2
                }
            })
            .collect()),
        other => Err(ctx.err(format!("auto_pad = `{other}` is not one of NOTSET, VALID, SAME_UPPER, SAME_LOWER"))),
    }
}

/// Padding at the end of each spatial dimension (explicit `pads` only; otherwise what makes
/// the windows fit).
pub fn end_pads(ctx: &LowerCtx, nsp: usize) -> Option<Vec<i64>> {
    let p = ctx.attr_ints("pads")?;
    (p.len() == 2 * nsp && ctx.attr_str("auto_pad", "NOTSET") == "NOTSET").then(|| p[nsp..].to_vec())
}

/// For every output position of a pooling window over `input` (spatial dims only): the input
/// positions (spatial flat indices) inside the input, and how many window positions fall inside
/// the padded input `[-begin, in + end)`.
pub struct Window {
    /// Spatial flat indices of the window elements inside the input.
    pub inside: Vec<usize>,
    /// Window elements inside the padded input.
    pub padded_count: usize,
}

/// The windows of every output position, row-major over `output`.
#[allow(clippy::too_many_arguments)]
pub fn windows(
    input: &[usize],
    output: &[usize],
    kernel: &[usize],
    strides: &[usize],
    dilations: &[usize],
    begin: &[i64],
    end: &[i64],
) -> Vec<Window> {
    let nsp = input.len();
    let in_st = super::shape::strides(input);
    (0..numel(output))
        .map(|f| {
            let o = unravel(f, output);
            let mut inside = Vec::new();
            let mut padded_count = 0;
            for kf in 0..numel(kernel) {
                let k = unravel(kf, kernel);
                let mut flat = 0usize;
                let (mut ok, mut in_pad) = (true, true);
                for d in 0..nsp {
                    let p = (o[d] * strides[d] + k[d] * dilations[d]) as i64 - begin[d];
                    if p < -begin[d] || p >= input[d] as i64 + end[d] {
                        in_pad = false;
                    }
                    if p < 0 || p >= input[d] as i64 {
                        ok = false;
                    } else {
                        flat += p as usize * in_st[d];
                    }
                }
                if in_pad {
                    padded_count += 1;
                }
                if ok {
                    inside.push(flat);
                }
            }
            Window { inside, padded_count }
        })
        .collect()
}

/// The pooling geometry of a `MaxPool`/`AveragePool` node on input shape `xs` (N, C, spatial…)
/// with output shape `out`: per output element, its window (input flat indices) and the
/// padded-window count.
pub fn pool_windows(ctx: &LowerCtx, xs: &[usize], out: &[usize]) -> Result<Vec<Window>, ModelError> {
    if xs.len() < 3 || out.len() != xs.len() {
        return Err(ctx.err(format!("expects X as [N, C, spatial…]; got {xs:?}")));
    }
    let nsp = xs.len() - 2;
    let kernel = ctx
        .attr_ints("kernel_shape")
        .filter(|k| k.len() == nsp && k.iter().all(|&v| v >= 1))
        .ok_or_else(|| ctx.err(format!("kernel_shape must hold {nsp} positive values")))?;
    let kernel: Vec<usize> = kernel.iter().map(|&v| v as usize).collect();
    let st = spatial_attr(ctx, "strides", nsp, 1)?;
    let dil = spatial_attr(ctx, "dilations", nsp, 1)?;
    ctx.check_terms(numel(out).saturating_mul(numel(&kernel)))?;
    let begin = begin_pads(ctx, &xs[2..], &out[2..], &kernel, &st, &dil)?;
    let end = end_pads(ctx, nsp).unwrap_or_else(|| begin.clone());
    let spatial = windows(&xs[2..], &out[2..], &kernel, &st, &dil, &begin, &end);
    let (in_sp, out_sp) = (numel(&xs[2..]), numel(&out[2..]));
    let mut all = Vec::with_capacity(numel(out));
    for nc in 0..out[0] * out[1] {
        for w in &spatial {
            all.push(Window {
                inside: w.inside.iter().map(|i| nc * in_sp + i).collect(),
                padded_count: w.padded_count,
            });
        }
    }
    debug_assert_eq!(all.len(), out_sp * out[0] * out[1]);
    if let Some(i) = all.iter().position(|w| w.inside.is_empty()) {
        return Err(ctx.err(format!("output element #{i} has a window entirely in the padding")));
    }
    Ok(all)
}

#[cfg(test)]
mod tests {
    use super::super::max_pool::lower;
    use super::super::test_util::*;

    /// A 1-D MaxPool with a window of one.
    fn pool(x: &[usize], out: &[usize]) -> TestNode {
        let mut n = ctx_with("MaxPool", vec![var("x", x)], out);
        n.ints("kernel_shape", &[1]);
        n
    }

    #[test]
    fn bad_shapes_and_kernels_are_named() {
        let e = pool(&[1, 4], &[1, 4]).run(lower).unwrap_err();
        assert!(e.to_string().contains("expects X as [N, C, spatial…]; got [1, 4]"), "{e}");
        let e = ctx_with("MaxPool", vec![var("x", &[1, 1, 4])], &[1, 1, 4]).run(lower).unwrap_err();
        assert!(e.to_string().contains("kernel_shape must hold 1 positive values"), "{e}");
        for k in [vec![0], vec![2, 2]] {
            let mut n = pool(&[1, 1, 4], &[1, 1, 4]);
            n.ints("kernel_shape", &k);
            let e = n.run(lower).unwrap_err();
            assert!(e.to_string().contains("kernel_shape must hold 1 positive values"), "{k:?}: {e}");
        }
    }

    #[test]
    fn bad_strides_pads_and_auto_pad_are_named() {
        let mut n = pool(&[1, 1, 4], &[1, 1, 4]);
        n.ints("strides", &[-1]);
        let e = n.run(lower).unwrap_err();
        assert!(e.to_string().contains("strides = [-1] must hold 1 positive values"), "{e}");
        let mut n = pool(&[1, 1, 4], &[1, 1, 4]);
        n.ints("pads", &[0, -1]);
        let e = n.run(lower).unwrap_err();
        assert!(e.to_string().contains("pads = [0, -1] must hold 2 non-negative values"), "{e}");
        let mut n = pool(&[1, 1, 4], &[1, 1, 4]);
        n.string("auto_pad", "same");
        let e = n.run(lower).unwrap_err();
        assert!(e.to_string().contains("auto_pad = `same` is not one of NOTSET"), "{e}");
    }

    #[test]
    fn a_window_entirely_in_the_padding_is_named() {
        // x [1,1,1] padded by 2 at the start: the first two windows of one read only padding
        let mut n = pool(&[1, 1, 1], &[1, 1, 3]);
        n.ints("pads", &[2, 0]);
        let e = n.run(lower).unwrap_err();
        assert!(e.to_string().contains("element #0 has a window entirely in the padding"), "{e}");
    }
}
