//! RFC 6962 / RFC 9162 §2.1 Merkle tree: roots, inclusion and consistency proofs and their verifiers.
//!
//! Leaves are given as leaf hashes (SHA-256(0x00 ‖ data)); interior nodes are SHA-256(0x01 ‖ left ‖ right);
//! the root of the empty tree is SHA-256 of the empty string.

use crate::digest::{Sha256Digest, node_hash};

/// Largest power of two strictly smaller than `n` (n ≥ 2).
fn split(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1u64 << (63 - (n - 1).leading_zeros())
}

/// Root hash (MTH) of the tree whose leaf hashes are `leaves`.
pub fn root(leaves: &[Sha256Digest]) -> Sha256Digest {
    let mut range = CompactRange::default();
    for l in leaves {
        range.push(*l);
    }
    range.root()
}

/// The right edge of a growing tree: the roots of the perfect subtrees that make up its first `size` leaves,
/// largest first. Appending a leaf costs amortised one node hash; the root costs popcount(size) − 1 hashes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CompactRange {
    size: u64,
    nodes: Vec<Sha256Digest>,
}

impl CompactRange {
    /// Number of leaves.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Subtree roots, largest first.
    pub fn nodes(&self) -> &[Sha256Digest] {
        &self.nodes
    }

    /// Rebuild from stored parts; `None` when the number of nodes does not match popcount(size).
    pub fn from_parts(size: u64, nodes: Vec<Sha256Digest>) -> Option<Self> {
        (nodes.len() == size.count_ones() as usize).then_some(CompactRange { size, nodes })
    }

    /// Append one leaf hash.
    pub fn push(&mut self, leaf: Sha256Digest) {
        let mut h = leaf;
        let mut n = self.size;
        while n & 1 == 1 {
            match self.nodes.pop() {
                Some(left) => h = node_hash(&left, &h),
                None => break,
            }
            n >>= 1;
        }
        self.nodes.push(h);
        self.size += 1;
    }

    /// Root hash of the tree so far.
    pub fn root(&self) -> Sha256Digest {
        let mut it = self.nodes.iter().rev();
        match it.next() {
            None => Sha256Digest::of(b""),
            Some(last) => it.fold(*last, |acc, left| node_hash(left, &acc)),
        }
    }
}

fn subtree(leaves: &[Sha256Digest]) -> Sha256Digest {
    match leaves.len() {
        0 => Sha256Digest::of(b""),
        1 => leaves[0],
        n => {
            let k = split(n as u64) as usize;
            node_hash(&subtree(&leaves[..k]), &subtree(&leaves[k..]))
        }
    }
}

/// Inclusion proof (audit path) of leaf `index` in the tree of the first `leaves.len()` leaves (RFC 9162 §2.1.3.1).
/// `None` when `index` is out of range.
pub fn inclusion_proof(index: u64, leaves: &[Sha256Digest]) -> Option<Vec<Sha256Digest>> {
    if index >= leaves.len() as u64 {
        return None;
    }
    let mut path = Vec::new();
    fn walk(m: usize, d: &[Sha256Digest], path: &mut Vec<Sha256Digest>) {
        if d.len() <= 1 {
            return;
        }
        let k = split(d.len() as u64) as usize;
        if m < k {
            walk(m, &d[..k], path);
            path.push(subtree(&d[k..]));
        } else {
            walk(m - k, &d[k..], path);
            path.push(subtree(&d[..k]));
        }
    }
    walk(index as usize, leaves, &mut path);
    Some(path)
}

/// Verify an inclusion proof (RFC 9162 §2.1.3.2).
pub fn verify_inclusion(
    index: u64,
    tree_size: u64,
    leaf: &Sha256Digest,
    path: &[Sha256Digest],
    root: &Sha256Digest,
) -> bool {
    if index >= tree_size {
        return false;
    }
    let (mut fnode, mut snode) = (index, tree_size - 1);
    let mut r = *leaf;
    for p in path {
        if snode == 0 {
            return false;
        }
        if fnode & 1 == 1 || fnode == snode {
            r = node_hash(p, &r);
            while fnode & 1 == 0 && fnode != 0 {
                fnode >>= 1;
                snode >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    snode == 0 && r == *root
}

/// Consistency proof between the tree of the first `old_size` leaves and the tree of all `leaves`
/// (RFC 9162 §2.1.4.1). `None` when `old_size` > number of leaves. Empty for `old_size` 0 or equal sizes.
pub fn consistency_proof(old_size: u64, leaves: &[Sha256Digest]) -> Option<Vec<Sha256Digest>> {
    let n = leaves.len() as u64;
    if old_size > n {
        return None;
    }
    let mut path = Vec::new();
    if old_size == 0 || old_size == n {
        return Some(path);
    }
    fn sub(m: usize, d: &[Sha256Digest], complete: bool, path: &mut Vec<Sha256Digest>) {
        let n = d.len();
        if m == n {
            if !complete {
                path.push(subtree(d));
            }
            return;
        }
        let k = split(n as u64) as usize;
        if m <= k {
            sub(m, &d[..k], complete, path);
            path.push(subtree(&d[k..]));
        } else {
            sub(m - k, &d[k..], false, path);
            path.push(subtree(&d[..k]));
        }
    }
    sub(old_size as usize, leaves, true, &mut path);
    Some(path)
}

/// Verify a consistency proof (RFC 9162 §2.1.4.2).
pub fn verify_consistency(
    old_size: u64,
    new_size: u64,
    old_root: &Sha256Digest,
    new_root: &Sha256Digest,
    proof: &[Sha256Digest],
) -> bool {
    if old_size > new_size {
        return false;
    }
    if old_size == new_size {
        return proof.is_empty() && old_root == new_root;
    }
    if old_size == 0 {
        return proof.is_empty();
    }
    if proof.is_empty() {
        return false;
    }
    let mut path: Vec<Sha256Digest> = Vec::with_capacity(proof.len() + 1);
    if old_size.is_power_of_two() {
        path.push(*old_root);
    }
    path.extend_from_slice(proof);
    let (mut fnode, mut snode) = (old_size - 1, new_size - 1);
    while fnode & 1 == 1 {
        fnode >>= 1;
        snode >>= 1;
    }
    let (mut fr, mut sr) = (path[0], path[0]);
    for c in &path[1..] {
        if snode == 0 {
            return false;
        }
        if fnode & 1 == 1 || fnode == snode {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while fnode & 1 == 0 && fnode != 0 {
                fnode >>= 1;
                snode >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    fr == *old_root && sr == *new_root && snode == 0
}
