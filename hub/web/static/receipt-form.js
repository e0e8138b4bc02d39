// The receipt form's extra rows: another found asset, another owner of an asset.
// The form works without this script (two asset rows of two owners each); with it, the hidden
// "添加" buttons appear and copy the last row under the next free number (asset-N-..., owner-M-...).
(function () {
  "use strict";

  function clear(row) {
    row.querySelectorAll("input").forEach(function (input) { input.value = ""; });
    row.querySelectorAll("select").forEach(function (select) { select.selectedIndex = 0; });
  }

  function nextNumber(rows, key) {
    var highest = -1;
    rows.forEach(function (row) { highest = Math.max(highest, Number(row.dataset[key])); });
    return highest + 1;
  }

  function addAsset() {
    var list = document.getElementById("assets");
    var rows = list.querySelectorAll("fieldset.asset");
    var last = rows[rows.length - 1];
    var number = nextNumber(rows, "index");
    var copy = last.cloneNode(true);
    copy.dataset.index = number;
    copy.querySelectorAll("[name]").forEach(function (field) {
      field.name = field.name.replace(/^asset-\d+-/, "asset-" + number + "-");
    });
    copy.querySelector("legend").textContent = "第 " + (rows.length + 1) + " 项财产";
    clear(copy);
    list.appendChild(copy);
    copy.querySelector("input").focus();
  }

  function addOwner(button) {
    var owners = button.closest("fieldset.asset").querySelector(".owners");
    var rows = owners.querySelectorAll(".owner");
    var number = nextNumber(rows, "owner");
    var copy = rows[rows.length - 1].cloneNode(true);
    copy.dataset.owner = number;
    copy.querySelectorAll("[name]").forEach(function (field) {
      field.name = field.name.replace(/-owner-\d+-/, "-owner-" + number + "-");
    });
    clear(copy);
    owners.appendChild(copy);
    copy.querySelector("input").focus();
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-add-asset], [data-add-owner]").forEach(function (button) {
      button.hidden = false;
    });
    document.addEventListener("click", function (event) {
      var button = event.target.closest("[data-add-asset], [data-add-owner]");
      if (!button) return;
      if (button.hasAttribute("data-add-asset")) addAsset(); else addOwner(button);
    });
  });
})();
