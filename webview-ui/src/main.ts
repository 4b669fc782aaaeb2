document.body.textContent = 'MicroDataWarehouse';
