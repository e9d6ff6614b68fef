//! Giving freed memory back to the system after a burst of short-lived allocations.

/// glibc's allocator returns only the top of a heap to the system by itself. After a cold
/// load, the pages of every row, buffer and intermediate structure the load freed stay in
/// the process, scattered between the model's live allocations, and count as its memory.
/// `malloc_trim` releases every free page of every arena; it walks the free lists (a few
/// milliseconds for a heap of a hundred megabytes), so it is called once per load.
pub fn trim() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `malloc_trim` has no preconditions; it only works on glibc's own free lists.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn trimming_keeps_live_memory_intact() {
        let kept: Vec<Vec<u8>> = (0..1000u32).map(|i| vec![(i % 251) as u8; 4096]).collect();
        drop((0..1000).map(|_| vec![0u8; 4096]).collect::<Vec<_>>());
        super::trim();
        assert!(kept.iter().enumerate().all(|(i, v)| v.iter().all(|&b| u32::from(b) == i as u32 % 251)));
    }
}
