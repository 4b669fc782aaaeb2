import './grid.css';
import { App } from './app.js';

new App(document.getElementById('app') ?? document.body);
