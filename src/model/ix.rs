//! Typed indices into the model's tables, so that an entry's index can never be used as a
//! judge's, and [`IxVec`], a vector indexed by one of them.
use std::marker::PhantomData;

macro_rules! index_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(u32);

        impl $name {
            /// The index of the `i`th item (tables never hold 2³² items).
            pub fn new(i: usize) -> $name {
                $name(u32::try_from(i).unwrap_or(u32::MAX))
            }

            pub fn get(self) -> usize {
                self.0 as usize
            }
        }

        impl From<usize> for $name {
            fn from(i: usize) -> $name {
                $name::new(i)
            }
        }
    };
}

index_type!(
    /// A delegation of the competition.
    DelegationIx
);
index_type!(
    /// A skill of the competition.
    SkillIx
);
index_type!(
    /// An entry of the competition (not of a skill: entries of all skills share one table).
    EntryIx
);
index_type!(
    /// A judge of the competition.
    JudgeIx
);
index_type!(
    /// An aspect of one skill's marking scheme, in scheme order.
    AspectIx
);

/// A vector indexed by a typed index `I`.
#[derive(Clone, Debug, PartialEq)]
pub struct IxVec<I, T> {
    items: Vec<T>,
    index: PhantomData<fn(I) -> I>,
}

impl<I, T> Default for IxVec<I, T> {
    fn default() -> Self {
        IxVec { items: Vec::new(), index: PhantomData }
    }
}

impl<I: From<usize> + Copy, T> IxVec<I, T> {
    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        self.items.iter()
    }

    pub fn iter_mut(&mut self) -> std::slice::IterMut<'_, T> {
        self.items.iter_mut()
    }

    /// Every item with its index.
    pub fn enumerate(&self) -> impl Iterator<Item = (I, &T)> {
        self.items.iter().enumerate().map(|(i, t)| (I::from(i), t))
    }

    pub fn indices(&self) -> impl Iterator<Item = I> + use<I, T> {
        (0..self.items.len()).map(I::from)
    }

    /// Appends an item and returns its index.
    pub fn push(&mut self, item: T) -> I {
        self.items.push(item);
        I::from(self.items.len() - 1)
    }

    pub fn as_slice(&self) -> &[T] {
        &self.items
    }
}

impl<I, T> From<Vec<T>> for IxVec<I, T> {
    fn from(items: Vec<T>) -> Self {
        IxVec { items, index: PhantomData }
    }
}

impl<I, T> FromIterator<T> for IxVec<I, T> {
    fn from_iter<It: IntoIterator<Item = T>>(iter: It) -> Self {
        IxVec { items: iter.into_iter().collect(), index: PhantomData }
    }
}

macro_rules! index_impls {
    ($($name:ident),+) => {$(
        impl<T> std::ops::Index<$name> for IxVec<$name, T> {
            type Output = T;
            fn index(&self, ix: $name) -> &T {
                &self.items[ix.get()]
            }
        }

        impl<T> std::ops::IndexMut<$name> for IxVec<$name, T> {
            fn index_mut(&mut self, ix: $name) -> &mut T {
                &mut self.items[ix.get()]
            }
        }
    )+};
}

index_impls!(DelegationIx, SkillIx, EntryIx, JudgeIx, AspectIx);

impl<I, T> IntoIterator for IxVec<I, T> {
    type Item = T;
    type IntoIter = std::vec::IntoIter<T>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}

impl<'a, I, T> IntoIterator for &'a IxVec<I, T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.iter()
    }
}
