//! ONNX `Conv`: N-dimensional convolution (1-D, 2-D, 3-D …) with strides, padding (explicit or
//! `auto_pad`), dilations and groups (depthwise included). The weights `W` and the bias `B`
//! must be constants; every output element is one linear combination of the input window.

use super::pool::{begin_pads, spatial_attr};
use super::shape::{numel, ravel, strides, unravel};
use super::{LowerCtx, Lowered};
use crate::graph::{LinTerm, Op, Tensor};
use crate::ModelError;

/// What `Conv` and `ConvTranspose` share: operands, shapes, groups, strides and dilations.
pub(super) struct ConvParts<'a> {
    /// Input tensor name.
    pub x: String,
    /// Input shape `[N, C, spatial…]`.
    pub xs: Vec<usize>,
    /// Constant weights.
    pub w: &'a Tensor,
    /// Optional constant bias, one value per output channel.
    pub bias: Option<&'a Tensor>,
    /// Output shape.
    pub out: Vec<usize>,
    /// Number of spatial dimensions.
    pub nsp: usize,
    /// `group` attribute.
    pub group: usize,
    /// Stride per spatial dimension.
    pub strides: Vec<usize>,
    /// Dilation per spatial dimension.
    pub dilations: Vec<usize>,
}

impl ConvParts<'_> {
    /// Reads and checks the operands and attributes every convolution has.
    pub fn read<'a>(ctx: &'a LowerCtx) -> Result<ConvParts<'a>, ModelError> {
        let (x, xs) = ctx.var(0)?;
        let w = ctx.konst(1, "the weights W")?;
        let bias = ctx.opt_konst(2, "the bias B")?;
        let out = ctx.out_shape.clone();
        if xs.len() < 3 || w.shape.len() != xs.len() || out.len() != xs.len() {
            return Err(ctx.err(format!(
                "expects X as [N, C, spatial…] and W of the same rank; got X {xs:?}, W {:?}",
                w.shape
            )));
        }
        if let Some(b) = bias {
            if b.data.len() != out[1] {
                return Err(ctx.err(format!("bias B has {} values for {} output channels", b.data.len(), out[1])));
            }
        }
        let nsp = xs.len() - 2;
        Ok(ConvParts {
            group: ctx.attr_int("group", 1).max(1) as usize,
            strides: spatial_attr(ctx, "strides", nsp, 1)?,
            dilations: spatial_attr(ctx, "dilations", nsp, 1)?,
            x,
            xs,
            w,
            bias,
            out,
            nsp,
        })
    }

    /// The lowering: one weighted sum per output element plus its channel's bias.
    pub fn finish(self, rows: Vec<Vec<LinTerm>>) -> Lowered {
        let out = &self.out;
        let bias = (0..numel(out))
            .map(|f| self.bias.map(|b| b.data[unravel(f, out)[1]]).unwrap_or(0.0))
            .collect();
        Lowered::Op(Op::Linear { exact: false, rows, bias }, vec![self.x])
    }
}

/// Lowers a `Conv` node.
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
    let (c_in, m) = (xs[1], w.shape[0]);
    let cg = w.shape[1];
    if c_in != cg * group || m % group != 0 {
        return Err(ctx.err(format!(
            "channels do not match groups: X has {c_in} channels, W {:?}, group {group}",
            w.shape
        )));
    }
    let kernel = &w.shape[2..];
    let pads = begin_pads(ctx, &xs[2..], &out[2..], kernel, st, dil)?;
    let mg = m / group;
    let (xst, wst) = (strides(xs), strides(&w.shape));
    let knum = numel(kernel);
    ctx.check_terms(numel(out).saturating_mul(cg).saturating_mul(knum))?;
    let mut rows = Vec::with_capacity(numel(out));
    for f in 0..numel(out) {
        let o = unravel(f, out);
        let (n, oc) = (o[0], o[1]);
        let g = oc / mg;
        let mut row = Vec::new();
        for c in 0..cg {
            let ic = g * cg + c;
            for kf in 0..knum {
                let k = unravel(kf, kernel);
                let mut idx = vec![n, ic];
                let mut inside = true;
                for d in 0..nsp {
                    let p = (o[2 + d] * st[d] + k[d] * dil[d]) as i64 - pads[d];
                    if p < 0 || p >= xs[2 + d] as i64 {
                        inside = false;
                        break;
                    }
                    idx.push(p as usize);
                }
                if !inside {
                    continue;
                }
                let mut widx = vec![oc, c];
                widx.extend(&k);
                let coeff = w.data[ravel(&widx, &wst)];
                // zero weights too: the quantizer drops them for fixed params and keeps their
                // places (an architecture's circuit) when the params are advice
                row.push(LinTerm {
                    operand: 0,
                    index: ravel(&idx, &xst),
                    coeff,
                });
            }
        }
        rows.push(row);
    }
    Ok(parts.finish(rows))
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use crate::graph::Op;
    use crate::ops::Lowered;

    fn rows_of(l: Lowered) -> (Vec<Vec<(usize, f32)>>, Vec<f32>) {
        let Lowered::Op(Op::Linear { rows, bias, .. }, _) = l else {
            panic!("{l:?}")
        };
        (rows.iter().map(|r| r.iter().map(|t| (t.index, t.coeff)).collect()).collect(), bias)
    }

    #[test]
    fn conv1d_with_padding_and_bias() {
        // x [1,1,3], w [1,1,2] = [1, 10], pads 1 → out [1,1,4]
        let mut l = ctx_with(
            "Conv",
            vec![var("x", &[1, 1, 3]), konst(&[1, 1, 2], &[1.0, 10.0]), konst(&[1], &[0.5])],
            &[1, 1, 4],
        );
        l.ints("pads", &[1, 1]);
        let (rows, bias) = rows_of(l.run(super::lower).unwrap());
        assert_eq!(
            rows,
            vec![
                vec![(0, 10.0)],
                vec![(0, 1.0), (1, 10.0)],
                vec![(1, 1.0), (2, 10.0)],
                vec![(2, 1.0)]
            ]
        );
        assert_eq!(bias, vec![0.5; 4]);
    }

    #[test]
    fn depthwise_groups_read_their_own_channel() {
        // x [1,2,2], w [2,1,1] = [2, 3], group 2
        let mut l = ctx_with("Conv", vec![var("x", &[1, 2, 2]), konst(&[2, 1, 1], &[2.0, 3.0])], &[1, 2, 2]);
        l.int("group", 2);
        let (rows, _) = rows_of(l.run(super::lower).unwrap());
        assert_eq!(rows, vec![vec![(0, 2.0)], vec![(1, 2.0)], vec![(2, 3.0)], vec![(3, 3.0)]]);
    }

    #[test]
    fn computed_weights_are_refused() {
        let e = ctx_with("Conv", vec![var("x", &[1, 1, 3]), var("w", &[1, 1, 2])], &[1, 1, 2])
            .run(super::lower)
            .unwrap_err();
        assert!(e.to_string().contains("weights W (input #1) must be a constant"), "{e}");
    }

    #[test]
    fn bad_shapes_channels_and_bias_are_named() {
        let w = || konst(&[1, 1, 2], &[1.0, 10.0]);
        let e = ctx_with("Conv", vec![var("x", &[1, 3]), w()], &[1, 2])
            .run(super::lower)
            .unwrap_err();
        assert!(e.to_string().contains("same rank; got X [1, 3], W [1, 1, 2]"), "{e}");
        let e = ctx_with("Conv", vec![var("x", &[1, 2, 3]), w()], &[1, 1, 2])
            .run(super::lower)
            .unwrap_err();
        assert!(e.to_string().contains("X has 2 channels, W [1, 1, 2], group 1"), "{e}");
        // 3 output channels do not split into 2 groups
        let mut n = ctx_with("Conv", vec![var("x", &[1, 2, 3]), konst(&[3, 1, 2], &[1.0; 6])], &[1, 3, 2]);
        n.int("group", 2);
        let e = n.run(super::lower).unwrap_err();
        assert!(e.to_string().contains("X has 2 channels, W [3, 1, 2], group 2"), "{e}");
        let e = ctx_with("Conv", vec![var("x", &[1, 1, 3]), w(), konst(&[2], &[0.0, 0.0])], &[1, 1, 2])
            .run(super::lower)
            .unwrap_err();
        assert!(e.to_string().contains("bias B has 2 values for 1 output channels"), "{e}");
    }

    #[test]
    fn bad_strides_pads_and_auto_pad_are_named() {
        let conv = || ctx_with("Conv", vec![var("x", &[1, 1, 3]), konst(&[1, 1, 2], &[1.0, 10.0])], &[1, 1, 2]);
        let mut n = conv();
        n.ints("strides", &[0]);
        let e = n.run(super::lower).unwrap_err();
        assert!(e.to_string().contains("strides = [0] must hold 1 positive values"), "{e}");
        let mut n = conv();
        n.ints("dilations", &[1, 1]);
        let e = n.run(super::lower).unwrap_err();
        assert!(e.to_string().contains("dilations = [1, 1] must hold 1 positive values"), "{e}");
        let mut n = conv();
        n.ints("pads", &[1]);
        let e = n.run(super::lower).unwrap_err();
        assert!(e.to_string().contains("pads = [1] must hold 2 non-negative values"), "{e}");
        let mut n = conv();
        n.ints("pads", &[-1, 0]);
        let e = n.run(super::lower).unwrap_err();
        assert!(e.to_string().contains("pads = [-1, 0] must hold 2 non-negative values"), "{e}");
        let mut n = conv();
        n.string("auto_pad", "SAME");
        let e = n.run(super::lower).unwrap_err();
        assert!(e.to_string().contains("auto_pad = `SAME` is not one of NOTSET, VALID"), "{e}");
    }
}
