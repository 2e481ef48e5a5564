//! ONNX `ConvTranspose`: N-dimensional transposed convolution with strides, padding (explicit,
//! `auto_pad` or implied by `output_shape`), `output_padding`, dilations and groups. Weights and
//! bias must be constants; each output element is a linear combination of the inputs that
//! scatter into it.

use super::conv::ConvParts;
use super::shape::{numel, ravel, strides, unravel};
use super::{LowerCtx, Lowered};
use crate::graph::LinTerm;
use crate::ModelError;

/// Lowers a `ConvTranspose` node.
pub fn lower(ctx: &LowerCtx) -> Result<Lowered, ModelError> {
    let parts = ConvParts::read(ctx)?;
    let ConvParts {
        xs,
        w,
        out,
        nsp,
        group,
        strides: st,
        dilations: dil,
        ..
    } = &parts;
    let (nsp, group) = (*nsp, *group);
    let c_in = xs[1];
    if w.shape[0] != c_in || c_in % group != 0 {
        return Err(ctx.err(format!("W {:?} does not match {c_in} input channels in {group} groups", w.shape)));
    }
    let (cg, mg) = (c_in / group, w.shape[1]);
    if out[1] != mg * group {
        return Err(ctx.err(format!("output has {} channels, W gives {}", out[1], mg * group)));
    }
    let kernel = &w.shape[2..];
    let auto = ctx.attr_str("auto_pad", "NOTSET");
    let begin: Vec<i64> = match (ctx.attr_ints("pads"), auto.as_str()) {
        (Some(p), "NOTSET") if !ctx.has_attr("output_shape") => {
            if p.len() != 2 * nsp {
                return Err(ctx.err(format!("pads = {p:?} must hold {} values", 2 * nsp)));
            }
            p[..nsp].to_vec()
        }
        (None, "NOTSET" | "VALID") if !ctx.has_attr("output_shape") => vec![0; nsp],
        _ => {
            // pads implied by the output shape (output_shape or SAME_*)
            let opad = ctx.attr_ints("output_padding").unwrap_or_default();
            (0..nsp)
                .map(|d| {
                    let span = (kernel[d] as i64 - 1) * dil[d] as i64 + 1;
                    let total = st[d] as i64 * (xs[2 + d] as i64 - 1) + opad.get(d).copied().unwrap_or(0) + span - out[2 + d] as i64;
                    // floor division, as the spec's reference: an output_shape beyond the natural
                    // size gives a negative total, all of it at the end (NOTSET / SAME_LOWER)
                    if auto == "SAME_UPPER" {
                        total.div_euclid(2)
                    } else {
                        total - total.div_euclid(2)
                    }
                })
                .collect()
        }
    };
    ctx.check_terms(numel(xs).saturating_mul(mg).saturating_mul(numel(kernel)))?;
    let (xst, wst, ost) = (strides(xs), strides(&w.shape), strides(out));
    let mut rows: Vec<Vec<LinTerm>> = vec![Vec::new(); numel(out)];
    for n in 0..xs[0] {
        for ic in 0..c_in {
            let g = ic / cg;
            for sf in 0..numel(&xs[2..]) {
                let i = unravel(sf, &xs[2..]);
                let mut xi = vec![n, ic];
                xi.extend(&i);
                let xflat = ravel(&xi, &xst);
                for kf in 0..numel(kernel) {
                    let k = unravel(kf, kernel);
                    let mut pos = Vec::with_capacity(nsp);
                    for d in 0..nsp {
                        let p = (i[d] * st[d] + k[d] * dil[d]) as i64 - begin[d];
                        if p < 0 || p >= out[2 + d] as i64 {
                            break;
                        }
                        pos.push(p as usize);
                    }
                    if pos.len() != nsp {
                        continue;
                    }
                    for m in 0..mg {
                        let mut widx = vec![ic, m];
                        widx.extend(&k);
                        // zero weights keep their places (see conv.rs)
                        let coeff = w.data[ravel(&widx, &wst)];
                        let mut oi = vec![n, g * mg + m];
                        oi.extend(&pos);
                        rows[ravel(&oi, &ost)].push(LinTerm {
                            operand: 0,
                            index: xflat,
                            coeff,
                        });
                    }
                }
            }
        }
    }
    Ok(parts.finish(rows))
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use crate::graph::Op;
    use crate::ops::Lowered;

    #[test]
    fn stride_two_scatters_each_input() {
        // x [1,1,2], w [1,1,2] = [1, 10], stride 2 → out [1,1,4] = [x0, 10x0, x1, 10x1]
        let mut n = ctx_with(
            "ConvTranspose",
            vec![var("x", &[1, 1, 2]), konst(&[1, 1, 2], &[1.0, 10.0])],
            &[1, 1, 4],
        );
        n.ints("strides", &[2]);
        let Lowered::Op(Op::Linear { rows, .. }, _) = n.run(super::lower).unwrap() else {
            panic!()
        };
        let r: Vec<Vec<(usize, f32)>> = rows.iter().map(|r| r.iter().map(|t| (t.index, t.coeff)).collect()).collect();
        assert_eq!(r, vec![vec![(0, 1.0)], vec![(0, 10.0)], vec![(1, 1.0)], vec![(1, 10.0)]]);
    }

    #[test]
    fn an_output_shape_beyond_the_natural_size_pads_at_the_end() {
        // x [1,1,2], w = [1, 10], stride 2: natural size 4; output_shape 5 → total padding −1,
        // begin 0 (floor division): [x0, 10x0, x1, 10x1, 0]
        let mut n = ctx_with(
            "ConvTranspose",
            vec![var("x", &[1, 1, 2]), konst(&[1, 1, 2], &[1.0, 10.0])],
            &[1, 1, 5],
        );
        n.ints("strides", &[2]);
        n.ints("output_shape", &[5]);
        let Lowered::Op(Op::Linear { rows, .. }, _) = n.run(super::lower).unwrap() else {
            panic!()
        };
        let r: Vec<Vec<(usize, f32)>> = rows.iter().map(|r| r.iter().map(|t| (t.index, t.coeff)).collect()).collect();
        assert_eq!(r, vec![vec![(0, 1.0)], vec![(0, 10.0)], vec![(1, 1.0)], vec![(1, 10.0)], vec![]]);
    }

    #[test]
    fn bad_shapes_channels_and_bias_are_named() {
        let w = || konst(&[1, 1, 2], &[1.0, 10.0]);
        let e = ctx_with("ConvTranspose", vec![var("x", &[1, 2]), w()], &[1, 3])
            .run(super::lower)
            .unwrap_err();
        assert!(e.to_string().contains("same rank; got X [1, 2], W [1, 1, 2]"), "{e}");
        let e = ctx_with("ConvTranspose", vec![var("x", &[1, 2, 2]), w()], &[1, 1, 3])
            .run(super::lower)
            .unwrap_err();
        assert!(e.to_string().contains("W [1, 1, 2] does not match 2 input channels"), "{e}");
        // 3 input channels do not split into 2 groups
        let w3 = konst(&[3, 1, 2], &[1.0; 6]);
        let mut n = ctx_with("ConvTranspose", vec![var("x", &[1, 3, 2]), w3], &[1, 2, 3]);
        n.int("group", 2);
        let e = n.run(super::lower).unwrap_err();
        assert!(e.to_string().contains("match 3 input channels in 2 groups"), "{e}");
        let e = ctx_with("ConvTranspose", vec![var("x", &[1, 1, 2]), w()], &[1, 2, 3])
            .run(super::lower)
            .unwrap_err();
        assert!(e.to_string().contains("output has 2 channels, W gives 1"), "{e}");
        let e = ctx_with("ConvTranspose", vec![var("x", &[1, 1, 2]), w(), konst(&[3], &[0.0; 3])], &[1, 1, 3])
            .run(super::lower)
            .unwrap_err();
        assert!(e.to_string().contains("bias B has 3 values for 1 output channels"), "{e}");
    }

    #[test]
    fn bad_strides_and_pads_are_named() {
        let w = || konst(&[1, 1, 2], &[1.0, 10.0]);
        let deconv = || ctx_with("ConvTranspose", vec![var("x", &[1, 1, 2]), w()], &[1, 1, 3]);
        let mut n = deconv();
        n.ints("strides", &[0]);
        let e = n.run(super::lower).unwrap_err();
        assert!(e.to_string().contains("strides = [0] must hold 1 positive values"), "{e}");
        let mut n = deconv();
        n.ints("dilations", &[1, 1]);
        let e = n.run(super::lower).unwrap_err();
        assert!(e.to_string().contains("dilations = [1, 1] must hold 1 positive values"), "{e}");
        let mut n = deconv();
        n.ints("pads", &[1]);
        let e = n.run(super::lower).unwrap_err();
        assert!(e.to_string().contains("pads = [1] must hold 2 values"), "{e}");
    }
}
