//! The lookup screen's result components, in one chunk loaded right after the window is ready (not on the first paint).

export { default as BasesPanel } from './BasesPanel.svelte';
export { default as ChangesSince } from './ChangesSince.svelte';
export { default as CnpjResult } from './CnpjResult.svelte';
export { default as CpfResult } from './CpfResult.svelte';
export { default as DeclarationPanel } from './DeclarationPanel.svelte';
export { default as FirstRunCard } from './FirstRunCard.svelte';
export { default as PartnerPanel } from './PartnerPanel.svelte';
