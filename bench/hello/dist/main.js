// The bench floor's page: focus the input, then report ready through the same command and argument as Balcão.
const input = document.getElementById('lookup-input');
input.focus();
window.__TAURI_INTERNALS__.invoke('ui_ready', { millis: Math.round(performance.now()) }).catch(() => {});
