import './plan.css';
import type { PlanNode, PlanProtocol, QueryPlan } from '../../../src/shared/plan.js';
import { WebviewChannel } from '../channel.js';
import { el } from '../dom.js';

type Mode = 'tree' | 'text' | 'json';

const root = document.getElementById('app') ?? document.body;
let plan: QueryPlan | undefined;
let mode: Mode = 'tree';

function rows(n: number): string {
  return n.toLocaleString('en-US');
}

function ms(value: number): string {
  if (value < 1) return `${value.toFixed(3)} ms`;
  if (value < 1000) return `${value.toFixed(1)} ms`;
  return `${(value / 1000).toFixed(2)} s`;
}

function nodeCard(node: PlanNode, analyzed: boolean): HTMLElement {
  const card = el('div', node.hot ? 'op hot' : 'op');
  card.dataset['id'] = String(node.id);
  const head = el('div', 'op-head');
  head.append(el('span', 'op-name', node.name));
  if (node.hot) head.append(el('span', 'op-badge', analyzed ? 'slowest' : 'largest'));
  card.append(head);
  const metrics = el('div', 'op-metrics');
  const metric = (label: string, value: string, cls: string): void => {
    const m = el('span', `metric ${cls}`);
    m.append(el('span', 'metric-label', label), el('span', 'metric-value', value));
    metrics.append(m);
  };
  if (node.estimatedRows !== null) metric('est.', rows(node.estimatedRows), 'estimated');
  if (node.actualRows !== null) metric('rows', rows(node.actualRows), 'actual');
  if (node.timeMs !== null) metric('time', ms(node.timeMs), 'time');
  if (node.timeShare !== null) metric('share', `${(node.timeShare * 100).toFixed(1)}%`, 'share');
  if (metrics.childElementCount > 0) card.append(metrics);
  if (node.timeShare !== null) {
    const bar = el('div', 'share-bar');
    const fill = el('div', 'share-fill');
    fill.style.width = `${Math.max(0.5, node.timeShare * 100).toFixed(1)}%`;
    bar.append(fill);
    card.append(bar);
  }
  if (node.details.length > 0) {
    const details = el('dl', 'op-details');
    for (const [key, value] of node.details)
      details.append(el('dt', undefined, key), el('dd', undefined, value));
    card.append(details);
  }
  return card;
}

function tree(nodes: PlanNode[], analyzed: boolean): HTMLElement {
  const list = el('ul', 'tree');
  for (const node of nodes) {
    const item = el('li');
    item.append(nodeCard(node, analyzed));
    if (node.children.length > 0) item.append(tree(node.children, analyzed));
    list.append(item);
  }
  return list;
}

function render(): void {
  root.replaceChildren();
  if (!plan) return;
  const header = el('header', 'toolbar');
  const title = el('span', 'title', plan.analyzed ? 'Explain Analyze' : 'Explain');
  header.append(title);
  if (plan.totalMs !== null) header.append(el('span', 'total', `total ${ms(plan.totalMs)}`));
  const spacer = el('span', 'spacer');
  header.append(spacer);
  for (const [m, label] of [
    ['tree', 'Tree'],
    ['text', 'Text plan'],
    ['json', 'JSON'],
  ] as [Mode, string][]) {
    const b = el('button', m === mode ? 'mode active' : 'mode', label);
    b.dataset['mode'] = m;
    b.setAttribute('aria-pressed', String(m === mode));
    b.addEventListener('click', () => {
      mode = m;
      render();
    });
    header.append(b);
  }
  root.append(header, el('pre', 'sql', plan.sql));
  if (mode === 'tree') {
    const legend = el(
      'div',
      'legend',
      plan.analyzed
        ? 'Highlighted: the operators that took the most time. est. = estimated rows, rows = actual rows, time = spent in the operator itself, summed over threads (so it can exceed the total).'
        : 'Highlighted: the operators with the most estimated rows. Run Explain Analyze for actual rows and times.',
    );
    root.append(legend, tree(plan.roots, plan.analyzed));
  } else {
    root.append(el('pre', 'raw', mode === 'text' ? plan.text : plan.json));
  }
}

new WebviewChannel<PlanProtocol>().serve({
  requests: {},
  notifications: {
    plan: (message) => {
      plan = message.plan;
      mode = 'tree';
      render();
    },
    loading: (message) => {
      plan = undefined;
      root.replaceChildren(
        el('div', 'status', message.analyzed ? 'Running Explain Analyze…' : 'Explaining…'),
        el('pre', 'sql', message.sql),
      );
    },
    error: (message) => {
      plan = undefined;
      root.replaceChildren(el('div', 'status error', message.message));
    },
  },
});
