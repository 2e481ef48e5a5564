//! Index arithmetic shared by the data-movement, pooling and convolution ops.

/// Row-major strides of `shape`.
pub fn strides(shape: &[usize]) -> Vec<usize> {
    let mut s = vec![1usize; shape.len()];
    for i in (0..shape.len().saturating_sub(1)).rev() {
        s[i] = s[i + 1] * shape[i + 1];
    }
    s
}

/// The multi-index of flat index `flat` in `shape`.
pub fn unravel(mut flat: usize, shape: &[usize]) -> Vec<usize> {
    let mut idx = vec![0usize; shape.len()];
    for d in (0..shape.len()).rev() {
        if shape[d] > 0 {
            idx[d] = flat % shape[d];
            flat /= shape[d];
        }
    }
    idx
}

/// The flat index of multi-index `idx` with `strides`.
pub fn ravel(idx: &[usize], strides: &[usize]) -> usize {
    idx.iter().zip(strides).map(|(i, s)| i * s).sum()
}

/// Number of elements.
pub fn numel(shape: &[usize]) -> usize {
    shape.iter().product()
}

/// Pure data movement: output element at multi-index `o` (of `out`) is the element of `x`
/// (shape `xs`) at multi-index `at(o)`.
pub fn moved(x: String, xs: &[usize], out: &[usize], at: impl Fn(&[usize]) -> Vec<usize>) -> super::Lowered {
    use crate::graph::{Op, Source};
    let xst = strides(xs);
    let sources = (0..numel(out))
        .map(|f| Source::Wire {
            operand: 0,
            index: ravel(&at(&unravel(f, out)), &xst),
        })
        .collect();
    super::Lowered::Op(Op::Select { sources }, vec![x])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let shape = [2, 3, 4];
        let st = strides(&shape);
        assert_eq!(st, vec![12, 4, 1]);
        for f in 0..24 {
            assert_eq!(ravel(&unravel(f, &shape), &st), f);
        }
    }
}
