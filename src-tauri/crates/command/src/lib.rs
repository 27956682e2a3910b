//! `#[balcao_command::command]`: a `#[tauri::command]` whose signature is also recorded for the generated TypeScript.
//!
//! Besides the Tauri command, the attribute emits a braced struct of the same name — it lives in the type namespace,
//! the function in the value namespace — with `ARGS`, the argument keys the page sends (camelCase, as Tauri reads
//! them; `State`, `Window`, `AppHandle` and `Webview` are filled by Tauri and left out), and, in tests only, an impl of
//! `crate::commands::Signature`: each argument's TypeScript type and the answer's (the `Ok` side of a `Result`). The declaration in `src-tauri/commands.rs` names the
//! function once; the TypeScript comes from here, so a signature change reaches `svelte-check`.

use proc_macro::TokenStream;
use quote::{format_ident, quote};
use syn::{FnArg, GenericArgument, ItemFn, Pat, PathArguments, ReturnType, Type, parse_macro_input};

/// Types Tauri fills from the call itself: the page sends nothing for them.
const INJECTED: &[&str] = &["State", "Window", "AppHandle", "Webview", "WebviewWindow"];

#[proc_macro_attribute]
pub fn command(attr: TokenStream, item: TokenStream) -> TokenStream {
    if !attr.is_empty() {
        return syn::Error::new(proc_macro2::Span::call_site(), "#[command] takes no arguments")
            .to_compile_error()
            .into();
    }
    let func = parse_macro_input!(item as ItemFn);
    let name = &func.sig.ident;
    let vis = &func.vis;
    let mut args = Vec::new();
    for input in &func.sig.inputs {
        let FnArg::Typed(pt) = input else {
            return syn::Error::new_spanned(input, "a command takes no `self`").to_compile_error().into();
        };
        let Pat::Ident(id) = &*pt.pat else {
            return syn::Error::new_spanned(&pt.pat, "a command's arguments are plain names").to_compile_error().into();
        };
        if last_segment(&pt.ty).is_some_and(|(s, _)| INJECTED.contains(&s.as_str())) {
            continue;
        }
        let key = camel(&id.ident.to_string());
        args.push((key, ts_of(&pt.ty)));
    }
    let answer = match &func.sig.output {
        ReturnType::Default => quote! { ::std::string::String::from("null") },
        ReturnType::Type(_, ty) => {
            let ok = match last_segment(ty) {
                Some((s, Some(first))) if s == "Result" => first,
                _ => (**ty).clone(),
            };
            ts_expr(&ok)
        }
    };
    let sig_struct = format_ident!("{}", name);
    let pairs = args.iter().map(|(k, t)| quote! { (#k, #t) });
    let keys = args.iter().map(|(k, _)| k);
    quote! {
        #[::tauri::command]
        #func

        #[allow(non_camel_case_types, dead_code)]
        #[derive(Debug)]
        #vis struct #sig_struct {}

        impl #sig_struct {
            /// The argument keys the page sends (camelCase).
            pub const ARGS: &'static [&'static str] = &[#(#keys),*];
        }

        #[cfg(test)]
        impl crate::commands::Signature for #sig_struct {
            fn args(cfg: &::ts_rs::Config) -> ::std::vec::Vec<(&'static str, ::std::string::String)> {
                ::std::vec![#(#pairs),*]
            }
            fn answer(cfg: &::ts_rs::Config) -> ::std::string::String {
                #answer
            }
        }
    }
    .into()
}

/// The last path segment's name and, when it has angle-bracketed arguments, its first type argument.
fn last_segment(ty: &Type) -> Option<(String, Option<Type>)> {
    let Type::Path(p) = ty else { return None };
    let seg = p.path.segments.last()?;
    let first = match &seg.arguments {
        PathArguments::AngleBracketed(a) => a.args.iter().find_map(|g| match g {
            GenericArgument::Type(t) => Some(t.clone()),
            _ => None,
        }),
        _ => None,
    };
    Some((seg.ident.to_string(), first))
}

/// The TypeScript of one argument (a `Channel<T>` is the JS `Channel<T>`).
fn ts_of(ty: &Type) -> proc_macro2::TokenStream {
    if let Some((s, Some(inner))) = last_segment(ty)
        && s == "Channel"
    {
        let inner_ts = ts_expr(&inner);
        return quote! { ::std::format!("Channel<{}>", #inner_ts) };
    }
    ts_expr(ty)
}

fn ts_expr(ty: &Type) -> proc_macro2::TokenStream {
    if matches!(ty, Type::Tuple(t) if t.elems.is_empty()) {
        return quote! { ::std::string::String::from("null") };
    }
    quote! { <#ty as ::ts_rs::TS>::name(cfg) }
}

/// `retry_failed` → `retryFailed`, as Tauri names a command's arguments by default.
fn camel(snake: &str) -> String {
    snake
        .split('_')
        .enumerate()
        .map(|(i, word)| {
            let mut chars = word.chars();
            match chars.next() {
                Some(first) if i > 0 => first.to_uppercase().chain(chars).collect(),
                _ => word.to_owned(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::camel;

    #[test]
    fn argument_keys_are_camel_case_as_tauri_reads_them() {
        assert_eq!(camel("retry_failed"), "retryFailed");
        assert_eq!(camel("on_progress"), "onProgress");
        assert_eq!(camel("client_secret"), "clientSecret");
        assert_eq!(camel("id"), "id");
    }
}
