//! DPAPI in machine scope (Windows only): `CryptProtectData`/`CryptUnprotectData` with `CRYPTPROTECT_LOCAL_MACHINE`,
//! the crate's only `unsafe` code (the FFI of windows-sys 0.60.2), for the machine store's file.

use std::ptr::{null, null_mut};

use balcao_core::Sensitive;
use windows_sys::Win32::Foundation::LocalFree;
use windows_sys::Win32::Security::Cryptography::{
    CRYPT_INTEGER_BLOB, CRYPTPROTECT_LOCAL_MACHINE, CRYPTPROTECT_UI_FORBIDDEN, CryptProtectData, CryptUnprotectData,
};

/// Machine scope (any account of this PC may decrypt; no other PC can), and never a prompt.
/// windows-sys 0.60.2, src/Windows/Win32/Security/Cryptography/mod.rs:5252 `pub const CRYPTPROTECT_LOCAL_MACHINE:
/// u32 = 4u32;` and :5272 `pub const CRYPTPROTECT_UI_FORBIDDEN: u32 = 1u32;`.
const FLAGS: u32 = CRYPTPROTECT_LOCAL_MACHINE | CRYPTPROTECT_UI_FORBIDDEN;

/// An output blob DPAPI allocated (with `LocalAlloc`): wiped and freed with `LocalFree` once, on drop.
/// Cryptography/mod.rs:5773 `pub struct CRYPT_INTEGER_BLOB { pub cbData: u32, pub pbData: *mut u8 }`.
struct Output(CRYPT_INTEGER_BLOB);

impl Output {
    fn empty() -> Self {
        Output(CRYPT_INTEGER_BLOB { cbData: 0, pbData: null_mut() })
    }

    fn to_vec(&self) -> Vec<u8> {
        let Ok(len) = usize::try_from(self.0.cbData) else { return Vec::new() };
        if self.0.pbData.is_null() || len == 0 {
            return Vec::new();
        }
        // SAFETY: after a successful call DPAPI set pbData to a buffer of cbData bytes it allocated; it stays valid
        // and unchanged until drop frees it, and nothing writes it meanwhile.
        unsafe { std::slice::from_raw_parts(self.0.pbData, len) }.to_vec()
    }
}

impl Drop for Output {
    fn drop(&mut self) {
        if self.0.pbData.is_null() {
            return;
        }
        let len = usize::try_from(self.0.cbData).unwrap_or(0);
        // SAFETY: pbData is the LocalAlloc'd buffer of cbData bytes DPAPI returned (its documentation: the caller
        // frees pDataOut->pbData with LocalFree); it is wiped (it may hold the plaintext) and freed exactly once,
        // here, and never used afterwards.
        // Foundation/mod.rs:8 `fn LocalFree(hmem : HLOCAL) -> HLOCAL` (:5204 `pub type HLOCAL = *mut c_void;`).
        unsafe {
            std::ptr::write_bytes(self.0.pbData, 0, len);
            LocalFree(self.0.pbData.cast());
        }
        self.0.pbData = null_mut();
    }
}

/// Runs one DPAPI call over `data` (a blob DPAPI only reads, pointing at `data`, which outlives the call) and the
/// output blob it fills; a zero BOOL is a failure, with the thread's last error.
fn run(
    data: &[u8],
    call: impl FnOnce(*const CRYPT_INTEGER_BLOB, *mut CRYPT_INTEGER_BLOB) -> i32,
) -> Result<Output, String> {
    let len = u32::try_from(data.len()).map_err(|_| "input over 4 GiB".to_owned())?;
    let data_in = CRYPT_INTEGER_BLOB { cbData: len, pbData: data.as_ptr().cast_mut() };
    let mut out = Output::empty();
    if call(&data_in, &mut out.0) == 0 {
        return Err(format!("Win32 error {}", std::io::Error::last_os_error().raw_os_error().unwrap_or(0)));
    }
    Ok(out)
}

/// `plain` encrypted with this PC's DPAPI machine key.
pub(crate) fn protect(plain: &[u8]) -> Result<Vec<u8>, String> {
    let out = run(plain, |data_in, data_out| {
        // SAFETY: data_in points at `plain`, alive and unchanged for the whole call, which only reads it; the
        // optional description, entropy, reserved and prompt pointers are null (allowed); data_out is `out.0`, a
        // valid place for DPAPI to write the blob it allocates, which `Output` frees with LocalFree.
        // Cryptography/mod.rs:283 `fn CryptProtectData(pdatain : *const CRYPT_INTEGER_BLOB, szdatadescr : PCWSTR,
        // poptionalentropy : *const CRYPT_INTEGER_BLOB, pvreserved : *const c_void, ppromptstruct : *const
        // CRYPTPROTECT_PROMPTSTRUCT, dwflags : u32, pdataout : *mut CRYPT_INTEGER_BLOB) -> BOOL` (BOOL = i32).
        unsafe { CryptProtectData(data_in, null(), null(), null(), null(), FLAGS, data_out) }
    })?;
    Ok(out.to_vec())
}

/// What [`protect`] encrypted, decrypted with this PC's DPAPI machine key.
pub(crate) fn unprotect(blob: &[u8]) -> Result<Sensitive<Vec<u8>>, String> {
    let out = run(blob, |data_in, data_out| {
        // SAFETY: as in `protect`; the description out-pointer is null (optional), so DPAPI allocates nothing else.
        // Cryptography/mod.rs:315 `fn CryptUnprotectData(pdatain : *const CRYPT_INTEGER_BLOB, ppszdatadescr : *mut
        // PWSTR, poptionalentropy : *const CRYPT_INTEGER_BLOB, pvreserved : *const c_void, ppromptstruct : *const
        // CRYPTPROTECT_PROMPTSTRUCT, dwflags : u32, pdataout : *mut CRYPT_INTEGER_BLOB) -> BOOL`.
        unsafe { CryptUnprotectData(data_in, null_mut(), null(), null(), null(), FLAGS, data_out) }
    })?;
    Ok(Sensitive::new(out.to_vec()))
}
