//! A hostile file is refused with bounded memory: the process's peak (VmHWM, Linux) grows by about one decoded copy
//! of the file, not by a string per cell or a copy per row. One test alone in its binary, so nothing else moves the
//! peak while it measures.

use balcao_batch::Batch;
use balcao_core::batch_api::BatchOptions;

#[cfg(target_os = "linux")]
fn peak_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).expect("VmHWM");
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[cfg(target_os = "linux")]
#[test]
fn hostile_files_are_refused_with_bounded_memory() {
    // Ten million delimiters on one line (10 MB): the old reader made ten million strings (hundreds of MB).
    let mut bytes = b"cpf;nome\n40442820135;Ana\n".to_vec();
    bytes.extend(std::iter::repeat_n(b';', 10_000_000));
    bytes.push(b'\n');
    let before = peak_kib();
    let refused = Batch::prepare("l.csv", &bytes, &BatchOptions::default()).is_err();
    let grew = peak_kib().saturating_sub(before);
    assert!(grew < 48 * 1024, "peak grew by {grew} KiB for a 10 MB file");
    assert!(refused);
    drop(bytes);

    // One row of 100 MB: one decoded copy at most, never the row copied again cell by cell.
    let mut bytes = b"cpf;nome\n40442820135;Ana\n".to_vec();
    bytes.extend(std::iter::repeat_n(b'a', 100 * 1024 * 1024));
    let before = peak_kib();
    let refused = Batch::prepare("l.csv", &bytes, &BatchOptions::default()).is_err();
    let grew = peak_kib().saturating_sub(before);
    assert!(grew < 150 * 1024, "peak grew by {grew} KiB for a 100 MB row");
    assert!(refused);
}
