//! CPU-bound work spread over the machine's cores (PBKDF2 for passwords,
//! parsing large configurations), with the answers in input order.

/// `f` of every item, in order. With at least `min_items` items and more
/// than one core, the items are split into one chunk per core, each mapped
/// on its own thread; below that, threads would cost more than they save.
/// A chunk whose thread panicked is mapped again on this thread, so the
/// answer stays complete (and a panic that repeats surfaces here).
pub fn map<T: Sync, R: Send>(items: &[T], min_items: usize, f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    if items.len() < min_items.max(2) || threads <= 1 {
        return items.iter().map(&f).collect();
    }
    let chunk_len = items.len().div_ceil(threads);
    let f = &f;
    std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(chunk_len)
            .map(|chunk| scope.spawn(move || chunk.iter().map(f).collect::<Vec<R>>()))
            .collect();
        handles
            .into_iter()
            .zip(items.chunks(chunk_len))
            .flat_map(|(handle, chunk)| {
                handle
                    .join()
                    .unwrap_or_else(|_| chunk.iter().map(f).collect())
            })
            .collect()
    })
}

/// Drops `value` on a thread of its own: freeing a large tree (a parsed
/// configuration) takes milliseconds the caller need not wait for.
/// Without a thread to spare, it is dropped here.
pub fn drop_in_background<T: Send + 'static>(value: T) {
    // A failed spawn drops the closure, and `value` with it, right here.
    let _ = std::thread::Builder::new().spawn(move || drop(value));
}

#[cfg(test)]
mod tests {
    #[test]
    fn answers_keep_the_input_order() {
        let items: Vec<u32> = (0..1000).collect();
        let doubled = super::map(&items, 4, |n| n * 2);
        assert_eq!(doubled, items.iter().map(|n| n * 2).collect::<Vec<_>>());
        assert_eq!(super::map(&[7u32], 4, |n| n + 1), [8]);
        assert!(super::map(&[] as &[u32], 4, |n| n + 1).is_empty());
    }
}
