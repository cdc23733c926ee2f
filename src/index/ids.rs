//! Live ids to document numbers, without a second copy of the ids.

use std::hash::{BuildHasher, RandomState};

use hashbrown::HashTable;

/// A map from the live ids of an index to their document numbers that holds
/// numbers only: the ids stay in the index's id list, passed to every call,
/// so an indexed id costs four bytes here, not a second string.
///
/// The hasher is randomly seeded (ids come from outside); nothing it decides
/// reaches output or disk.
#[derive(Clone, Debug, Default)]
pub(crate) struct IdMap {
    table: HashTable<u32>,
    hasher: RandomState,
}

impl IdMap {
    pub(crate) fn with_capacity(n: usize) -> Self {
        IdMap {
            table: HashTable::with_capacity(n),
            hasher: RandomState::new(),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.table.len()
    }

    /// The document number of `id`, when live.
    pub(crate) fn get(&self, ids: &[String], id: &str) -> Option<u32> {
        self.table
            .find(self.hasher.hash_one(id), |&d| ids[d as usize] == id)
            .copied()
    }

    /// Maps `ids[d]` to `d`; when the id is already mapped, changes nothing
    /// and returns the number it has.
    pub(crate) fn insert(&mut self, ids: &[String], d: u32) -> Option<u32> {
        let id = ids[d as usize].as_str();
        let hasher = &self.hasher;
        match self.table.entry(
            hasher.hash_one(id),
            |&e| ids[e as usize] == id,
            |&e| hasher.hash_one(ids[e as usize].as_str()),
        ) {
            hashbrown::hash_table::Entry::Occupied(e) => Some(*e.get()),
            hashbrown::hash_table::Entry::Vacant(e) => {
                e.insert(d);
                None
            }
        }
    }

    /// Unmaps `id`; its document number, when it was live.
    pub(crate) fn remove(&mut self, ids: &[String], id: &str) -> Option<u32> {
        self.table
            .find_entry(self.hasher.hash_one(id), |&d| ids[d as usize] == id)
            .ok()
            .map(|e| e.remove().0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_get_remove() {
        let ids: Vec<String> = ["a", "b", "a", "c"].map(String::from).to_vec();
        let mut m = IdMap::default();
        assert_eq!(m.insert(&ids, 0), None);
        assert_eq!(m.insert(&ids, 1), None);
        assert_eq!(m.insert(&ids, 2), Some(0)); // "a" is taken
        assert_eq!(m.get(&ids, "a"), Some(0));
        assert_eq!(m.get(&ids, "c"), None);
        assert_eq!(m.remove(&ids, "a"), Some(0));
        assert_eq!(m.remove(&ids, "a"), None);
        assert_eq!(m.insert(&ids, 2), None); // a later "a"
        assert_eq!(m.get(&ids, "a"), Some(2));
        assert_eq!(m.len(), 2);
    }
}
