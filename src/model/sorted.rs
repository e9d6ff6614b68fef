//! A small map kept as a vector sorted by key: for maps that hold a handful to a few dozen
//! entries each and exist by the thousand (an entry's cells, a socket's subscriptions). A
//! binary search over a few entries is as quick as hashing, and the map takes the size of
//! its entries, where a hash map's empty buckets or a B-tree's first node take several times
//! more.
use std::borrow::Borrow;

#[derive(Clone, Debug)]
pub struct SortedVecMap<K, V>(Vec<(K, V)>);

impl<K, V> Default for SortedVecMap<K, V> {
    fn default() -> Self {
        SortedVecMap(Vec::new())
    }
}

impl<K: Ord, V> SortedVecMap<K, V> {
    fn find<Q: Ord + ?Sized>(&self, key: &Q) -> Result<usize, usize>
    where
        K: Borrow<Q>,
    {
        self.0.binary_search_by(|(k, _)| k.borrow().cmp(key))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn get<Q: Ord + ?Sized>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
    {
        self.find(key).ok().map(|i| &self.0[i].1)
    }

    pub fn contains_key<Q: Ord + ?Sized>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
    {
        self.find(key).is_ok()
    }

    /// Sets `key`'s value; returns the one it replaces.
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        match self.find(&key) {
            Ok(i) => Some(std::mem::replace(&mut self.0[i].1, value)),
            Err(i) => {
                self.0.insert(i, (key, value));
                None
            }
        }
    }

    /// Takes `key` out; the last one out gives the vector's memory back.
    pub fn remove<Q: Ord + ?Sized>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
    {
        let (_, value) = self.0.remove(self.find(key).ok()?);
        if self.0.is_empty() {
            self.0 = Vec::new();
        }
        Some(value)
    }

    /// Entries in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.0.iter().map(|(k, v)| (k, v))
    }

    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.0.iter().map(|(_, v)| v)
    }

    pub fn shrink_to_fit(&mut self) {
        self.0.shrink_to_fit();
    }
}

#[cfg(test)]
mod tests {
    use super::SortedVecMap;

    #[test]
    fn behaves_as_an_ordered_map() {
        let mut map: SortedVecMap<String, u32> = SortedVecMap::default();
        assert_eq!(map.insert("b".into(), 2), None);
        assert_eq!(map.insert("a".into(), 1), None);
        assert_eq!(map.insert("c".into(), 3), None);
        assert_eq!(map.insert("b".into(), 20), Some(2));
        assert_eq!((map.len(), map.get("b"), map.contains_key("d")), (3, Some(&20), false));
        assert_eq!(map.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(), ["a", "b", "c"]);
        assert_eq!(map.remove("a"), Some(1));
        assert_eq!(map.remove("a"), None);
        assert_eq!(map.values().copied().collect::<Vec<_>>(), [20, 3]);
        map.remove("b");
        map.remove("c");
        assert!(map.is_empty());
    }
}
