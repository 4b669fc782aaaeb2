import '../grid.css';
import './worksheet.css';
import { Worksheet } from './worksheet.js';

const root = document.getElementById('worksheet') ?? document.body;
(window as unknown as { worksheet: Worksheet }).worksheet = new Worksheet(root);
