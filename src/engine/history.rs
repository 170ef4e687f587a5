//! Histories that stay small however long a run trains: a row is kept every `stride` steps,
//! and when there are more than [`ROWS_MAX`] rows every other one is dropped and the stride
//! doubles (so the whole run stays visible at a coarser grain).

/// Most rows a history keeps.
pub const ROWS_MAX: usize = 2000;

/// Rows of `T` keyed by step, thinned as they grow.
#[derive(Clone, Debug, PartialEq)]
pub struct Thinned<T> {
    steps: Vec<u32>,
    rows: Vec<T>,
    stride: u32,
}

impl<T> Default for Thinned<T> {
    fn default() -> Self {
        Self {
            steps: Vec::new(),
            rows: Vec::new(),
            stride: 1,
        }
    }
}

impl<T> Thinned<T> {
    /// Records the row of `step` (1-based: the step just completed) if the stride keeps it.
    pub fn push(&mut self, step: u32, row: T) {
        if step.is_multiple_of(self.stride) || step == 1 {
            self.steps.push(step);
            self.rows.push(row);
        }
        if self.rows.len() > ROWS_MAX {
            self.stride *= 2;
            let mut keep = 0..;
            self.steps
                .retain(|_| keep.next().is_some_and(|i| i % 2 == 0));
            let mut keep = 0..;
            self.rows
                .retain(|_| keep.next().is_some_and(|i| i % 2 == 0));
        }
    }

    /// `(step, row)` in order.
    pub fn iter(&self) -> impl Iterator<Item = (u32, &T)> {
        self.steps.iter().copied().zip(&self.rows)
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// `(step, f(row))` as plot points.
    pub fn series(&self, f: impl Fn(&T) -> f64) -> Vec<(f64, f64)> {
        self.iter().map(|(s, r)| (f64::from(s), f(r))).collect()
    }

    pub fn last(&self) -> Option<(u32, &T)> {
        Some((*self.steps.last()?, self.rows.last()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_run_is_thinned_to_at_most_rows_max_rows_spanning_every_step() {
        let mut h = Thinned::default();
        for step in 1..=100_000u32 {
            h.push(step, step);
        }
        assert!(h.len() <= ROWS_MAX && h.len() > ROWS_MAX / 2, "{}", h.len());
        let steps: Vec<u32> = h.iter().map(|(s, _)| s).collect();
        assert_eq!(steps[0], 1);
        assert!(*steps.last().unwrap() > 99_000, "{:?}", steps.last());
        assert!(steps.windows(2).all(|w| w[0] < w[1]));
        assert!(h.iter().all(|(s, r)| s == *r));
    }
}
