//! Sample and input data in EZKL's format: `{"input_data": [[...], ...]}`, one flat list per
//! model input. A list may hold several samples back to back (its length a multiple of the
//! input's size), which `compile` uses for calibration.

use super::ModelError;
use serde_json::Value;
use std::path::Path;

/// Parsed input data: for each model input, a flat list of values (possibly several samples).
#[derive(Clone, Debug, PartialEq)]
pub struct InputData {
    /// One flat list per model input.
    pub inputs: Vec<Vec<f64>>,
}

impl InputData {
    /// Reads and parses a data file.
    pub fn from_file(path: &Path) -> Result<Self, ModelError> {
        let text = std::fs::read_to_string(path).map_err(|e| ModelError::Data {
            path: path.display().to_string(),
            reason: format!("cannot read: {e}"),
        })?;
        Self::parse(&text, &path.display().to_string())
    }

    /// Parses data file text; `origin` names the source in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Self, ModelError> {
        let err = |reason: String| ModelError::Data {
            path: origin.to_string(),
            reason,
        };
        let root: Value = serde_json::from_str(text).map_err(|e| err(format!("not valid JSON: {e}")))?;
        let data = root
            .get("input_data")
            .ok_or_else(|| err("missing the `input_data` field (expected {\"input_data\": [[...]]})".into()))?;
        let lists = data
            .as_array()
            .ok_or_else(|| err("`input_data` must be a list of lists of numbers".into()))?;
        if lists.is_empty() {
            return Err(err("`input_data` is empty".into()));
        }
        let mut inputs = Vec::with_capacity(lists.len());
        for (i, list) in lists.iter().enumerate() {
            let items = list
                .as_array()
                .ok_or_else(|| err(format!("input_data[{i}] must be a list of numbers")))?;
            let mut values = Vec::with_capacity(items.len());
            for (j, v) in items.iter().enumerate() {
                let x = v
                    .as_f64()
                    .ok_or_else(|| err(format!("input_data[{i}][{j}] is {v}, not a number")))?;
                if !x.is_finite() {
                    return Err(err(format!("input_data[{i}][{j}] is not finite")));
                }
                values.push(x);
            }
            inputs.push(values);
        }
        Ok(InputData { inputs })
    }

    /// Serialises to EZKL's format.
    pub fn to_json(&self) -> String {
        serde_json::json!({ "input_data": self.inputs }).to_string()
    }

    /// Splits the data into samples for inputs of the given sizes. Each list's length must be a
    /// positive multiple of its input's size, and all lists must hold the same number of samples.
    pub fn samples(&self, sizes: &[usize], origin: &str) -> Result<Vec<Vec<Vec<f64>>>, ModelError> {
        let err = |reason: String| ModelError::Data {
            path: origin.to_string(),
            reason,
        };
        if self.inputs.len() != sizes.len() {
            return Err(err(format!(
                "has {} input list(s) but the model has {} input(s)",
                self.inputs.len(),
                sizes.len()
            )));
        }
        let mut count = None;
        for (i, (list, &size)) in self.inputs.iter().zip(sizes).enumerate() {
            if size == 0 || list.is_empty() || list.len() % size != 0 {
                return Err(err(format!(
                    "input_data[{i}] has {} values; the model input takes {size} per sample",
                    list.len()
                )));
            }
            let n = list.len() / size;
            match count {
                None => count = Some(n),
                Some(c) if c != n => return Err(err(format!("input_data[{i}] holds {n} samples but input_data[0] holds {c}"))),
                _ => {}
            }
        }
        let n = count.unwrap_or(0);
        Ok((0..n)
            .map(|s| {
                self.inputs
                    .iter()
                    .zip(sizes)
                    .map(|(list, &size)| list[s * size..(s + 1) * size].to_vec())
                    .collect()
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ezkl_format_and_splits_samples() {
        let d = InputData::parse(r#"{"input_data": [[1, 2.5, -3, 4]]}"#, "t").unwrap();
        let s = d.samples(&[2], "t").unwrap();
        assert_eq!(s, vec![vec![vec![1.0, 2.5]], vec![vec![-3.0, 4.0]]]);
    }

    #[test]
    fn rejects_non_numeric_values_naming_the_position() {
        let e = InputData::parse(r#"{"input_data": [[1, "x"]]}"#, "f.json").unwrap_err();
        assert!(e.to_string().contains("input_data[0][1] is \"x\", not a number"), "{e}");
    }

    #[test]
    fn rejects_wrong_length() {
        let d = InputData::parse(r#"{"input_data": [[1, 2, 3]]}"#, "f.json").unwrap();
        let e = d.samples(&[2], "f.json").unwrap_err();
        assert!(e.to_string().contains("has 3 values; the model input takes 2"), "{e}");
    }

    #[test]
    fn rejects_missing_field() {
        let e = InputData::parse(r#"{"data": []}"#, "f.json").unwrap_err();
        assert!(e.to_string().contains("missing the `input_data` field"), "{e}");
    }
}
