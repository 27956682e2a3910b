//! Entry point: global styles and the window's root component.

import { mount } from 'svelte';
import './app.css';
import App from './App.svelte';
import { usePtBrLanguage } from './lib/pageLanguage';

usePtBrLanguage();

const target = document.getElementById('app');
if (!target) throw new Error('#app missing from index.html');

export default mount(App, { target });
