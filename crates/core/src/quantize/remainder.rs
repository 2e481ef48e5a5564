//! Range checks of large rescale remainders in chunks.
//!
//! A rescale `input = 2^s·q + rem` is exact only with `rem ∈ [0, 2^s)`. One remainder table of
//! 2^s rows is cheap for small shifts, but products of products (a variance, a normalised
//! value times a gain) compound their scales, and a rescale by 2^18 would need a 262,144-row
//! table that alone fixes the circuit size. Such a remainder is checked in chunks of at most
//! `b` bits instead, each against a table of 2^b rows:
//!
//! ```text
//! rem = 2^(o_1)·r_1 + R_1,   R_1 = 2^(o_2)·r_2 + R_2,   …,   R_(n-1) = r_n
//! ```
//!
//! with `o_i` the bits below chunk `i`. The circuit states every split with the same rescale
//! gate as the quotient (see `circuit::chips::lookup`), so no `R_i` is a free value: with
//! every `r_i` in its table, `rem = Σ 2^(o_i)·r_i` lies in `[0, 2^s)` and the division stays
//! exact and unique.

use super::program::{Program, StepKind};
use super::tables::{TableKind, TableSpec};
use super::SizeFn;

/// Chunk sizes tried by [`choose_rem_bits`], largest first.
const CANDIDATE_BITS: [u32; 5] = [16, 14, 12, 10, 8];

/// A program whose shifts are all at most this many bits keeps its remainders whole (their
/// tables are small); past it, [`choose_rem_bits`] tries the splits. A chosen chunk size then
/// applies to every shift above it.
const ALWAYS_WHOLE: u32 = 12;

/// The chunk sizes of a `shift`-bit remainder with chunks of at most `max_bits`, from the top
/// down: as even as possible, the larger ones on top. A shift within `max_bits` is one chunk.
pub fn chunk_bits(shift: u32, max_bits: u32) -> Vec<u32> {
    if shift <= max_bits || max_bits == 0 {
        return vec![shift];
    }
    let n = shift.div_ceil(max_bits);
    let (base, extra) = (shift / n, shift % n);
    (0..n).map(|i| base + u32::from(i < extra)).collect()
}

/// Splits a remainder in `[0, 2^Σbits)` into its chunks, from the top down.
pub fn split_value(rem: i128, bits: &[u32]) -> Vec<i128> {
    let mut below: u32 = bits.iter().sum();
    let mut rest = rem;
    bits.iter()
        .map(|b| {
            below -= b;
            let chunk = rest >> below;
            rest -= chunk << below;
            chunk
        })
        .collect()
}

/// Rewrites every lookup step of `program` to check its remainder in chunks of at most
/// `max_bits` bits, adding the chunk tables and dropping remainder tables no step uses any
/// more. Other tables keep their order; wires and values are unchanged.
pub fn split_remainders(program: &mut Program, max_bits: u32) {
    let mut tables = std::mem::take(&mut program.tables);
    for step in &mut program.steps {
        if let StepKind::Lookup {
            shift,
            rem_table,
            rem_high,
            ..
        } = &mut step.kind
        {
            let mut idx: Vec<usize> = chunk_bits(*shift, max_bits)
                .into_iter()
                .map(|bits| TableSpec::find_or_add(&mut tables, TableKind::Remainder { bits }))
                .collect();
            *rem_table = idx.pop().expect("at least one chunk");
            *rem_high = idx;
        }
    }
    // keep every table but the remainder ranges nothing checks any more
    let mut keep: Vec<bool> = tables.iter().map(|t| !matches!(t.kind, TableKind::Remainder { .. })).collect();
    for step in &mut program.steps {
        for t in lookup_tables(&mut step.kind) {
            keep[*t] = true;
        }
    }
    for input in &program.inputs {
        if let Some(s) = &input.split {
            for t in s.rem_high.iter().chain([&s.rem_table]) {
                keep[*t] = true;
            }
        }
    }
    let mut new_index = vec![usize::MAX; tables.len()];
    let mut kept = Vec::new();
    for (i, t) in tables.into_iter().enumerate() {
        if keep[i] {
            new_index[i] = kept.len();
            kept.push(t);
        }
    }
    for input in &mut program.inputs {
        input.table = new_index[input.table];
        if let Some(s) = input.split.as_mut() {
            s.rem_table = new_index[s.rem_table];
            for t in s.rem_high.iter_mut() {
                *t = new_index[*t];
            }
        }
    }
    for step in &mut program.steps {
        for t in lookup_tables(&mut step.kind) {
            *t = new_index[*t];
        }
    }
    program.tables = kept;
}

/// The table indices a lookup step names (its function table and remainder chunks); none for
/// other steps.
fn lookup_tables(kind: &mut StepKind) -> Vec<&mut usize> {
    match kind {
        StepKind::Lookup {
            table,
            rem_table,
            rem_high,
            ..
        } => rem_high.iter_mut().chain([table, rem_table]).collect(),
        _ => Vec::new(),
    }
}

/// The chunk size that gives `program` (with calibrated tables) its smallest circuit: `None`
/// when whole remainders are as small as any split (a split costs two rows per extra chunk and
/// lookup, so it must lower `k`, or the rows at equal `k`, to be chosen).
pub fn choose_rem_bits(program: &Program, size: SizeFn) -> Option<u32> {
    let widest = program
        .steps
        .iter()
        .filter_map(|s| match s.kind {
            StepKind::Lookup { shift, .. } => Some(shift),
            _ => None,
        })
        .max()?;
    if widest <= ALWAYS_WHOLE {
        return None;
    }
    let mut best = (size(program), None);
    for bits in CANDIDATE_BITS.into_iter().filter(|b| *b < widest) {
        let mut split = program.clone();
        split_remainders(&mut split, bits);
        let s = size(&split);
        if s < best.0 {
            best = (s, Some(bits));
        }
    }
    best.1
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quantize::eval::evaluate;

    #[test]
    fn chunks_are_even_and_cover_the_shift() {
        assert_eq!(chunk_bits(6, 10), vec![6]);
        assert_eq!(chunk_bits(18, 10), vec![9, 9]);
        assert_eq!(chunk_bits(19, 10), vec![10, 9]);
        assert_eq!(chunk_bits(25, 8), vec![7, 6, 6, 6]);
        for shift in 0..=40 {
            for max in 1..=16 {
                let c = chunk_bits(shift, max);
                assert_eq!(c.iter().sum::<u32>(), shift);
                if shift > max {
                    assert!(c.iter().all(|b| *b <= max), "{shift} in {max}: {c:?}");
                    assert!(c.windows(2).all(|w| w[0] >= w[1] && w[0] - w[1] <= 1), "{c:?}");
                }
            }
        }
    }

    #[test]
    fn a_split_value_recombines() {
        let bits = [7, 6, 6];
        for rem in [0i128, 1, 12345, (1 << 19) - 1, 300_000] {
            let parts = split_value(rem, &bits);
            assert!(parts.iter().zip(bits).all(|(p, b)| *p >= 0 && *p < 1 << b), "{parts:?}");
            assert_eq!(parts[0] * (1 << 12) + parts[1] * (1 << 6) + parts[2], rem);
        }
    }

    /// Two rescales, by 2^18 and 2^4, and an input table.
    fn program() -> Program {
        let (program, _) = crate::circuit::mock::tests::table_program(&[5, -3], TableKind::Relu);
        let mut p = program;
        for (i, s) in p.steps.iter_mut().enumerate() {
            if let StepKind::Lookup { shift, .. } = &mut s.kind {
                *shift = if i == 1 { 18 } else { 4 };
            }
        }
        p.tables[2] = TableSpec {
            kind: TableKind::Remainder { bits: 18 },
            lo: 0,
            hi: (1 << 18) - 1,
        };
        p.tables.push(TableSpec {
            kind: TableKind::Remainder { bits: 4 },
            lo: 0,
            hi: 15,
        });
        if let StepKind::Lookup { rem_table, .. } = &mut p.steps[3].kind {
            *rem_table = 3;
        }
        p
    }

    #[test]
    fn splitting_replaces_the_large_table_and_keeps_the_others() {
        let mut p = program();
        p.check_structure().unwrap();
        split_remainders(&mut p, 10);
        p.check_structure().unwrap();
        let kinds: Vec<TableKind> = p.tables.iter().map(|t| t.kind).collect();
        assert_eq!(
            kinds,
            vec![
                TableKind::Input,
                TableKind::Relu,
                TableKind::Remainder { bits: 4 },
                TableKind::Remainder { bits: 9 }
            ]
        );
        let StepKind::Lookup { rem_table, rem_high, .. } = &p.steps[1].kind else {
            panic!()
        };
        assert_eq!((*rem_table, rem_high.as_slice()), (3, &[3][..]));
        let StepKind::Lookup { rem_table, rem_high, .. } = &p.steps[3].kind else {
            panic!()
        };
        assert_eq!((*rem_table, rem_high.len()), (2, 0));
        assert!(p.table_rows() < 1 + 401 + 401 + 16 + 512 + 1);
        // the same witness
        let inputs = vec![vec![5, -3]];
        assert_eq!(
            evaluate(&program(), &inputs, false).unwrap().0,
            evaluate(&p, &inputs, false).unwrap().0
        );
    }

    #[test]
    fn the_split_is_chosen_only_when_it_shrinks_the_circuit() {
        let size = |p: &Program| {
            let s = crate::circuit::size(p);
            (s.k, s.rows)
        };
        let p = program();
        let bits = choose_rem_bits(&p, &size).expect("a split of the 2^18 remainder");
        let mut split = p.clone();
        split_remainders(&mut split, bits);
        assert!(size(&split) < size(&p), "{:?} vs {:?}", size(&split), size(&p));
        let (small, _) = crate::circuit::mock::tests::table_program(&[5, -3], TableKind::Relu);
        assert_eq!(choose_rem_bits(&small, &size), None);
    }
}
