// Scrolls an opened "Show in document" box to the passage. Runs in the page (our code only);
// Gradio calls it with `element`, the sources panel (qa/app/gradio_app.py loads it as package data).
element.addEventListener('toggle', (event) => {
  const box = event.target;
  if (!box || !box.open || !box.classList || !box.classList.contains('qa-context')) return;
  const view = box.querySelector('.qa-doc-view');
  const here = box.querySelector('.qa-here');
  if (view && here) view.scrollTop = Math.max(0, here.offsetTop - 32);
}, true);
