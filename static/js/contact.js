// Turn "name [at] domain [dot] be" into a mailto link for people; harvesters reading the HTML see no address.
document.querySelectorAll(".protected-email[data-u][data-d]").forEach(function (element) {
  var address = element.dataset.u + "@" + element.dataset.d;
  var link = document.createElement("a");
  link.href = "mailto:" + address;
  link.textContent = address;
  element.replaceChildren(link);
});
