import { mount } from 'svelte';
import App from './App.svelte';
import './app.css';
import { formatCount } from './lib/format';

const target = document.getElementById('app');
if (!target) throw new Error('index.html lacks the #app element');

export default mount(App, { target });

// Load the locale data number formatting needs while nothing else happens (see formatCount).
const idle = (window as Window & { requestIdleCallback?: (cb: () => void) => number }).requestIdleCallback ?? ((cb: () => void) => setTimeout(cb, 200));
idle(() => formatCount(0));
