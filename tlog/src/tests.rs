//! Checked against the reference vectors published with Certificate
//! Transparency's implementations (the eight leaves below), then
//! exhaustively against the verifiers for every small tree.

use super::*;

fn h(hex: &str) -> Hash {
    hex::decode(hex).unwrap().try_into().unwrap()
}

fn vector_leaves() -> Vec<Hash> {
    [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ]
    .iter()
    .map(|entry| leaf_hash(&hex::decode(entry).unwrap()))
    .collect()
}

const VECTOR_ROOTS: [&str; 9] = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];

#[test]
fn tree_heads_match_the_reference_vectors() {
    let leaves = vector_leaves();
    for (size, expected) in VECTOR_ROOTS.iter().enumerate() {
        assert_eq!(root(&leaves[..size]), h(expected), "size {size}");
    }
}

#[test]
fn inclusion_proofs_match_the_reference_vectors() {
    let leaves = vector_leaves();
    let cases = [
        (0, 1, vec![]),
        (
            0,
            8,
            vec![
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ],
        ),
        (
            5,
            8,
            vec![
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ],
        ),
    ];
    for (index, size, expected) in cases {
        let expected: Vec<Hash> = expected.into_iter().map(h).collect();
        let tree = &leaves[..size];
        assert_eq!(inclusion_proof(tree, index).unwrap(), expected);
        let head = h(VECTOR_ROOTS[size]);
        let leaf = &leaves[index as usize];
        assert_eq!(
            verify_inclusion(leaf, index, size as u64, &expected, &head),
            Ok(())
        );
    }
}

#[test]
fn consistency_proofs_match_the_reference_vectors() {
    let leaves = vector_leaves();
    let cases = [
        (1, 1, vec![]),
        (
            1,
            8,
            vec![
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ],
        ),
        (
            6,
            8,
            vec![
                "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ],
        ),
    ];
    for (old, new, expected) in cases {
        let expected: Vec<Hash> = expected.into_iter().map(h).collect();
        assert_eq!(consistency_proof(&leaves[..new], old).unwrap(), expected);
        let (old_head, new_head) = (h(VECTOR_ROOTS[old as usize]), h(VECTOR_ROOTS[new]));
        assert_eq!(
            verify_consistency(old, new as u64, &old_head, &new_head, &expected),
            Ok(())
        );
    }
}

fn tree(size: usize) -> Vec<Hash> {
    (0..size)
        .map(|i| leaf_hash(format!("entry {i}").as_bytes()))
        .collect()
}

#[test]
fn every_inclusion_proof_of_every_small_tree_verifies_and_nothing_else_does() {
    for size in 1..=33_usize {
        let leaves = tree(size);
        let head = root(&leaves);
        for index in 0..size as u64 {
            let proof = inclusion_proof(&leaves, index).unwrap();
            let leaf = &leaves[index as usize];
            assert_eq!(
                verify_inclusion(leaf, index, size as u64, &proof, &head),
                Ok(())
            );
            // Another leaf, another position, another head, a changed or
            // shortened proof: all refused.
            let other = leaf_hash(b"not in the log");
            assert!(verify_inclusion(&other, index, size as u64, &proof, &head).is_err());
            if size > 1 {
                let moved = (index + 1) % size as u64;
                assert!(verify_inclusion(leaf, moved, size as u64, &proof, &head).is_err());
                assert!(verify_inclusion(leaf, index, size as u64, &proof, &leaves[0]).is_err());
                let mut changed = proof.clone();
                changed[0][0] ^= 1;
                assert!(verify_inclusion(leaf, index, size as u64, &changed, &head).is_err());
                assert!(verify_inclusion(leaf, index, size as u64, &proof[1..], &head).is_err());
            }
            let mut longer = proof.clone();
            longer.push(head);
            assert!(verify_inclusion(leaf, index, size as u64, &longer, &head).is_err());
        }
        assert_eq!(
            inclusion_proof(&leaves, size as u64),
            Err(ProofError::IndexOutOfRange {
                index: size as u64,
                size: size as u64
            })
        );
    }
}

#[test]
fn every_consistency_proof_of_every_small_tree_verifies_and_a_rewrite_does_not() {
    for new in 1..=33_usize {
        let leaves = tree(new);
        let new_head = root(&leaves);
        for old in 0..=new {
            let old_head = root(&leaves[..old]);
            let proof = consistency_proof(&leaves, old as u64).unwrap();
            let (o, n) = (old as u64, new as u64);
            assert_eq!(
                verify_consistency(o, n, &old_head, &new_head, &proof),
                Ok(()),
                "{old} -> {new}"
            );
            if old == 0 {
                continue;
            }
            // The same sizes, but the old log had another entry somewhere:
            // it is not a prefix of the new one.
            let mut rewritten = leaves.clone();
            rewritten[old - 1] = leaf_hash(b"rewritten");
            let forged_old = root(&rewritten[..old]);
            assert!(verify_consistency(o, n, &forged_old, &new_head, &proof).is_err());
            if old < new {
                let mut changed = proof.clone();
                let last = changed.len() - 1;
                changed[last][31] ^= 1;
                assert!(verify_consistency(o, n, &old_head, &new_head, &changed).is_err());
                assert!(verify_consistency(o, n, &old_head, &new_head, &[]).is_err());
                // A truncated log: the "new" head is an older one.
                assert!(verify_consistency(o, n, &old_head, &old_head, &proof).is_err());
            }
        }
        assert_eq!(
            consistency_proof(&leaves, new as u64 + 1),
            Err(ProofError::SizesOutOfOrder {
                old: new as u64 + 1,
                new: new as u64
            })
        );
    }
}

#[test]
fn hashes_are_domain_separated() {
    // A leaf can never pass for an interior node, nor the reverse.
    let (a, b) = (leaf_hash(b"a"), leaf_hash(b"b"));
    let mut joined = a.to_vec();
    joined.extend(b);
    assert_ne!(leaf_hash(&joined), node_hash(&a, &b));
    assert_eq!(
        empty_root(),
        h("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    );
}
