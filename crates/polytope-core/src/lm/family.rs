//! Feature splitting you can walk: a feature's family across one model's dictionaries of
//! growing size, by the cosine of decoder directions (docs/dictionary-format.md, "Family
//! trees").
//!
//! Each feature of a dictionary has one parent: the feature of the next smaller dictionary
//! whose decoder direction is closest to its own. A feature's children are the features of the
//! next larger dictionary whose parent it is, with a cosine of at least the threshold. That
//! makes a tree (splitting itself is not one: a direction can be close to several), rooted in
//! the smallest dictionary. The chain from the asked feature to its root is always part of the
//! tree, even where an edge of it is below the threshold (a weak edge, shown as such).

use std::collections::HashMap;

/// The decoder cosine an edge needs (besides the asked feature's own chain). The God feature's
/// split in the shipped data has cosines 0.81 and 0.57.
pub const FAMILY_THRESHOLD: f32 = 0.4;
/// Most children shown under one feature (the closest ones).
pub const FAMILY_CHILDREN: usize = 6;
/// Most features in one tree.
pub const FAMILY_NODES: usize = 48;

/// One dictionary's decoder directions, `[d_sae, d_in]` row-major, normalised to unit length
/// (a zero row stays zero).
pub struct Directions {
    d_in: usize,
    rows: Vec<f32>,
}

impl Directions {
    /// `w_dec` is `[d_sae, d_in]`, as `SaeWeights::w_dec`.
    pub fn new(w_dec: &[f32], d_in: usize) -> Self {
        let mut rows = w_dec.to_vec();
        for row in rows.chunks_exact_mut(d_in.max(1)) {
            let norm = row.iter().map(|x| x * x).sum::<f32>().sqrt();
            if norm > 0.0 {
                for x in row {
                    *x /= norm;
                }
            }
        }
        Self { d_in, rows }
    }

    pub fn len(&self) -> usize {
        self.rows.len() / self.d_in.max(1)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn row(&self, f: usize) -> &[f32] {
        self.rows
            .get(f * self.d_in..(f + 1) * self.d_in)
            .unwrap_or(&[])
    }

    /// Cosine of `v` (unit length) with every direction.
    fn cosines(&self, v: &[f32]) -> Vec<f32> {
        self.rows
            .chunks_exact(self.d_in.max(1))
            .map(|r| r.iter().zip(v).map(|(a, b)| a * b).sum())
            .collect()
    }
}

/// One feature of a family tree.
#[derive(Clone, Debug, PartialEq)]
pub struct FamilyNode {
    /// Index of its dictionary in the levels given (smallest first).
    pub level: usize,
    pub feature: u32,
    /// Index of its parent in [`Family::nodes`]; `None` for the root.
    pub parent: Option<usize>,
    /// Decoder cosine with its parent (1 for the root).
    pub cosine: f32,
    /// On the chain from the asked feature to the root (the asked feature included).
    pub on_path: bool,
}

/// A family tree: nodes in breadth-first order from the root, children by descending cosine.
#[derive(Clone, Debug, PartialEq)]
pub struct Family {
    pub nodes: Vec<FamilyNode>,
    /// Index of the asked feature in `nodes`.
    pub at: usize,
    /// The threshold the tree was built with.
    pub threshold: f32,
    /// Whether some children were left out (more than [`FAMILY_CHILDREN`] under a feature, or
    /// more than [`FAMILY_NODES`] in all).
    pub truncated: bool,
}

/// The best match of `v` among `dirs`: (feature, cosine); `None` when `dirs` is empty.
fn closest(dirs: &Directions, v: &[f32]) -> Option<(u32, f32)> {
    dirs.cosines(v)
        .into_iter()
        .enumerate()
        .filter(|(_, c)| c.is_finite())
        .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)))
        .map(|(i, c)| (i as u32, c))
}

/// The family tree of feature `feature` of `levels[level]`; `levels` are one model's
/// dictionaries ordered by size, smallest first. `None` when the feature or a level is out of
/// range, or the levels' input sizes differ.
pub fn family(
    levels: &[&Directions],
    level: usize,
    feature: u32,
    threshold: f32,
) -> Option<Family> {
    let d_in = levels.first()?.d_in;
    if levels.iter().any(|l| l.d_in != d_in || l.is_empty())
        || level >= levels.len()
        || feature as usize >= levels[level].len()
    {
        return None;
    }
    // The chain up: the asked feature, its parent, ... the root.
    let mut chain = vec![(level, feature, 1.0f32)];
    for j in (0..level).rev() {
        let (l, f, _) = *chain.last()?;
        let (p, c) = closest(levels[j], levels[l].row(f as usize))?;
        if let Some(last) = chain.last_mut() {
            last.2 = c;
        }
        chain.push((j, p, 1.0));
    }
    chain.reverse();
    // chain[k] is at level k; chain[k].2 is the cosine to chain[k - 1] (1 for the root).
    let mut parents: HashMap<(usize, u32), u32> = HashMap::new();
    let mut parent_of = |j: usize, h: u32| -> Option<u32> {
        if let Some(p) = parents.get(&(j, h)) {
            return Some(*p);
        }
        let (p, _) = closest(levels[j - 1], levels[j].row(h as usize))?;
        parents.insert((j, h), p);
        Some(p)
    };
    let mut nodes = vec![FamilyNode {
        level: 0,
        feature: chain[0].1,
        parent: None,
        cosine: 1.0,
        on_path: true,
    }];
    let mut truncated = false;
    let mut next = 0;
    while next < nodes.len() {
        let (j, g, on_path) = (nodes[next].level, nodes[next].feature, nodes[next].on_path);
        if j + 1 < levels.len() {
            let larger = levels[j + 1];
            let mut kids: Vec<(u32, f32, bool)> = Vec::new();
            let path_child = on_path.then(|| chain.get(j + 1)).flatten();
            for (h, c) in larger
                .cosines(levels[j].row(g as usize))
                .into_iter()
                .enumerate()
            {
                let h = h as u32;
                let is_path = path_child.is_some_and(|p| p.1 == h);
                if is_path || (c >= threshold && parent_of(j + 1, h) == Some(g)) {
                    kids.push((h, c, is_path));
                }
            }
            kids.sort_by(|a, b| b.2.cmp(&a.2).then(b.1.total_cmp(&a.1)).then(a.0.cmp(&b.0)));
            let room = FAMILY_NODES.saturating_sub(nodes.len());
            let keep = kids.len().min(FAMILY_CHILDREN).min(room);
            truncated |= keep < kids.len();
            kids.truncate(keep);
            // Closest first, the path child among them in its place.
            kids.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            for (h, c, is_path) in kids {
                nodes.push(FamilyNode {
                    level: j + 1,
                    feature: h,
                    parent: Some(next),
                    cosine: c,
                    on_path: is_path,
                });
            }
        }
        next += 1;
    }
    let at = nodes.iter().position(|n| n.on_path && n.level == level)?;
    Some(Family {
        nodes,
        at,
        threshold,
        truncated,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Three levels in 3 dimensions: a "God" direction at level 0 splits into two close
    /// directions at level 1, one of which splits again at level 2.
    fn levels() -> [Directions; 3] {
        let s = std::f32::consts::FRAC_1_SQRT_2;
        [
            // 0: x, z.
            Directions::new(&[1.0, 0.0, 0.0, 0.0, 0.0, 1.0], 3),
            // 1: x+y (child of x), x-y (child of x), z, -x (no one's child above the threshold).
            Directions::new(
                &[1.0, 1.0, 0.0, 1.0, -1.0, 0.0, 0.0, 0.0, 2.0, 0.0, -3.0, 0.3],
                3,
            ),
            // 2: x+y exactly, and y: y's closest at level 1 is x+y (cosine s).
            Directions::new(&[s, s, 0.0, 0.0, 1.0, 0.0], 3),
        ]
    }

    #[test]
    fn a_family_has_the_root_the_split_and_the_asked_feature_on_one_path() {
        let l = levels();
        let refs: Vec<&Directions> = l.iter().collect();
        let f = family(&refs, 2, 1, FAMILY_THRESHOLD).unwrap();
        let at = &f.nodes[f.at];
        assert_eq!((at.level, at.feature), (2, 1));
        // Root x, its children x+y and x-y (cosine s each), x+y's children: itself and y.
        let shape: Vec<(usize, u32, Option<usize>)> = f
            .nodes
            .iter()
            .map(|n| (n.level, n.feature, n.parent))
            .collect();
        assert_eq!(
            shape,
            vec![
                (0, 0, None),
                (1, 0, Some(0)),
                (1, 1, Some(0)),
                (2, 0, Some(1)),
                (2, 1, Some(1))
            ]
        );
        let s = std::f32::consts::FRAC_1_SQRT_2;
        assert!((f.nodes[1].cosine - s).abs() < 1e-5);
        assert!((f.nodes[3].cosine - 1.0).abs() < 1e-5);
        let path: Vec<u32> = f
            .nodes
            .iter()
            .filter(|n| n.on_path)
            .map(|n| n.feature)
            .collect();
        assert_eq!(path, vec![0, 0, 1]);
        assert!(!f.truncated);
    }

    #[test]
    fn the_asked_features_weak_edge_is_kept_and_others_below_the_threshold_are_not() {
        let l = levels();
        let refs: Vec<&Directions> = l.iter().collect();
        // -x at level 1 has cosine -1 with x and about 0.1 with z: its parent is z, weakly.
        let f = family(&refs, 1, 3, FAMILY_THRESHOLD).unwrap();
        assert_eq!(f.nodes[0].feature, 1, "root z");
        let at = &f.nodes[f.at];
        assert_eq!((at.level, at.feature, at.parent), (1, 3, Some(0)));
        assert!(
            at.cosine < FAMILY_THRESHOLD && at.cosine > 0.0,
            "{}",
            at.cosine
        );
        // z's other child (z itself at level 1, cosine 1) is there too, closest first.
        assert_eq!(f.nodes[1].feature, 2);
        // From the root x, -x is not a child: its parent is z.
        let g = family(&refs, 0, 0, FAMILY_THRESHOLD).unwrap();
        assert!(g.nodes.iter().all(|n| !(n.level == 1 && n.feature == 3)));
    }

    #[test]
    fn bad_requests_give_none() {
        let l = levels();
        let refs: Vec<&Directions> = l.iter().collect();
        assert!(family(&refs, 3, 0, 0.4).is_none());
        assert!(family(&refs, 0, 2, 0.4).is_none());
        assert!(family(&[], 0, 0, 0.4).is_none());
        let other = Directions::new(&[1.0, 0.0], 2);
        assert!(family(&[&l[0], &other], 0, 0, 0.4).is_none());
    }
}
