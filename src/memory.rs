//! glibc malloc tuning. By default glibc keeps up to 8 arenas per core, each
//! holding on to freed memory; with a 100k-object index built by one thread
//! and queried by others, that shows up as RSS that never goes down.

/// Limits malloc arenas; call first thing in `main`.
pub fn limit_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator parameter; it is called before
    // any other thread exists.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

/// Returns freed heap memory to the OS (after the startup scan, whose
/// temporary buffers are the largest the server makes).
pub fn trim() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim is thread-safe and has no preconditions.
    unsafe {
        libc::malloc_trim(0);
    }
}
