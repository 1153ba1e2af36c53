// citygraph admin: a preview of the images chosen for upload, before the form is sent.
document.querySelectorAll('input[type="file"][data-image-preview]').forEach(function (input) {
  var box = document.querySelector('.admin-preview[data-preview-for="' + input.id + '"]');
  if (!box) { return; }
  input.addEventListener('change', function () {
    box.replaceChildren();
    Array.prototype.forEach.call(input.files, function (file) {
      if (!file.type.startsWith('image/')) { return; }
      var img = document.createElement('img');
      img.alt = file.name;
      img.src = URL.createObjectURL(file);
      box.appendChild(img);
    });
  });
});

// Flash messages (sqladmin's flash.html showed them with an inline script, which the admin's
// Content-Security-Policy refuses).
document.querySelectorAll('.toast.admin-toast').forEach(function (element) {
  new window.tabler.bootstrap.Toast(element, { delay: 3000 }).show();
});
