//! Entry point: global styles and the window's root component.

import { mount } from 'svelte';
import './app.css';
import App from './App.svelte';
import PageErrorNotice from './components/app/PageErrorNotice.svelte';
import { usePtBrLanguage } from './lib/pageLanguage';
import { listen as listenForPageErrors } from './lib/pageErrors.svelte';

usePtBrLanguage();
// Before the window mounts, so an error while it starts is logged and explained too.
listenForPageErrors();

const target = document.getElementById('app');
if (!target) throw new Error('#app missing from index.html');

const notice = document.createElement('div');
document.body.append(notice);
mount(PageErrorNotice, { target: notice });

export default mount(App, { target });
