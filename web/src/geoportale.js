// The GeoPortale's copy buttons (the pages work without them: the addresses are selectable
// fields). Each button copies the field it names and says so in the status line.
import './geoportale.css';

for (const button of document.querySelectorAll('button[data-copy]')) {
  button.hidden = false;
  button.addEventListener('click', async () => {
    const field = document.getElementById(button.dataset.copy);
    const status = document.getElementById('copy-status');
    try {
      await navigator.clipboard.writeText(field.value);
      status.textContent = button.dataset.done;
    } catch {
      field.focus();
      field.select();
      status.textContent = button.dataset.fail;
    }
  });
}
