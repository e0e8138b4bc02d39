/* The request form (GET /requests/new): checks an ID number as it is typed (GB 11643, GB 32100), shows the
   units and fields the chosen action takes, adds item and document rows, and sends the form once.
   The hub checks everything again on the server; without this script the form still works. */
(function () {
  "use strict";
  var form = document.getElementById("request-form");
  if (!form) { return; }

  var RESIDENT_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  var RESIDENT_CHECK = "10X98765432";
  var USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY";
  var USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

  function residentProblem(number) {
    if (!/^\d{17}[\dX]$/.test(number)) { return "居民身份证号码应为 18 位：17 位数字加 1 位校验码（0-9 或 X）。"; }
    var y = +number.slice(6, 10), m = +number.slice(10, 12), d = +number.slice(12, 14);
    var born = new Date(y, m - 1, d);
    if (born.getFullYear() !== y || born.getMonth() !== m - 1 || born.getDate() !== d || y < 1880 || born > new Date()) {
      return "身份证号码中的出生日期 " + number.slice(6, 14) + " 不存在，请核对。";
    }
    var total = 0;
    for (var i = 0; i < 17; i++) { total += (+number[i]) * RESIDENT_WEIGHTS[i]; }
    var expected = RESIDENT_CHECK[total % 11];
    if (number[17] !== expected) {
      return "身份证号码校验位不正确：末位是 " + number[17] + "，按前 17 位应为 " + expected + "，请核对。";
    }
    return "";
  }

  function usccProblem(code) {
    if (!/^[0-9A-HJ-NP-RTUWXY]{18}$/.test(code)) {
      return "统一社会信用代码应为 18 位，由数字和大写字母组成（不含 I、O、Z、S、V）。";
    }
    var total = 0;
    for (var i = 0; i < 17; i++) { total += USCC_CHARSET.indexOf(code[i]) * USCC_WEIGHTS[i]; }
    var expected = USCC_CHARSET[(31 - total % 31) % 31];
    if (code[17] !== expected) {
      return "统一社会信用代码校验码不正确：末位是 " + code[17] + "，按前 17 位应为 " + expected + "，请核对。";
    }
    return "";
  }

  var idType = document.getElementById("id_type");
  var idNumber = document.getElementById("id_number");
  var idCheck = document.getElementById("id-check");
  var kind = document.getElementById("subject_kind");

  function checkId() {
    var value = idNumber.value.replace(/\s/g, "").toUpperCase();
    var problem = "";
    var complete = value.length >= 18;
    if (idType.value === "RESIDENT_ID" && value) { problem = residentProblem(value); }
    if (idType.value === "USCC" && value) { problem = usccProblem(value); }
    idNumber.setCustomValidity(problem);
    if (!value || (idType.value !== "RESIDENT_ID" && idType.value !== "USCC")) {
      idCheck.textContent = "";
    } else if (problem && complete) {
      idCheck.textContent = problem; idCheck.className = "late";
    } else if (problem) {
      idCheck.textContent = "已输入 " + value.length + " 位，共 18 位"; idCheck.className = "muted";
    } else {
      idCheck.textContent = "✓ 校验位正确"; idCheck.className = "ok";
    }
  }

  function showKinds() {
    var options = idType.options;
    for (var i = 0; i < options.length; i++) {
      var allowed = options[i].getAttribute("data-kinds").split(" ").indexOf(kind.value) >= 0;
      options[i].disabled = !allowed;
      if (!allowed && options[i].selected) {
        idType.value = kind.value === "organization" ? "USCC" : "RESIDENT_ID";
      }
    }
    checkId();
  }

  function listed(name) { return (form.getAttribute(name) || "").split(" "); }

  function show(element, visible) {
    element.hidden = !visible; // hub.css: [hidden] wins over the labels' display: block
    var inputs = element.querySelectorAll("input, select, textarea");
    for (var i = 0; i < inputs.length; i++) { inputs[i].disabled = !visible; }
  }

  var action = document.getElementById("action");
  var allCapable = form.querySelector("input[name=all_capable]");

  function showAction() {
    var code = action.value;
    var units = form.querySelectorAll("label.unit");
    for (var i = 0; i < units.length; i++) {
      show(units[i], units[i].getAttribute("data-actions").split(" ").indexOf(code) >= 0);
    }
    show(document.getElementById("all-capable"), listed("data-all-capable-actions").indexOf(code) >= 0);
    show(document.getElementById("items"), listed("data-item-actions").indexOf(code) >= 0);
    var parts = {
      period: "data-period-actions", flexible: "data-flexible-actions", original: "data-original-actions",
      transferee: "data-transferee-actions"
    };
    Object.keys(parts).forEach(function (part) {
      var on = listed(parts[part]).indexOf(code) >= 0;
      var fields = form.querySelectorAll("[data-for=" + part + "]");
      for (var j = 0; j < fields.length; j++) { show(fields[j], on); }
    });
    showAllCapable();
  }

  function showAllCapable() {
    var all = allCapable && !allCapable.disabled && allCapable.checked;
    var units = form.querySelectorAll("label.unit");
    for (var i = 0; i < units.length; i++) {
      units[i].querySelector("input").disabled = units[i].hidden || all;
    }
  }

  function addRow(list, template, afterAdd) {
    var index = list.children.length;
    var holder = document.createElement("div");
    holder.innerHTML = template.innerHTML.replace(/__i__/g, String(index));
    while (holder.firstElementChild) {
      var row = holder.firstElementChild;
      list.appendChild(row);
      if (afterAdd) { afterAdd(row, index); }
    }
  }

  var itemRows = document.getElementById("item-rows");
  var addItem = document.getElementById("add-item");
  addItem.hidden = false;
  addItem.addEventListener("click", function () {
    addRow(itemRows, document.getElementById("item-template"), function (row, index) {
      row.querySelector("[data-item-number]").textContent = String(index + 1);
    });
    showAction();
  });
  var documentRows = document.getElementById("document-rows");
  var addDocument = document.getElementById("add-document");
  addDocument.hidden = false;
  addDocument.addEventListener("click", function () {
    addRow(documentRows, document.getElementById("document-template"));
  });

  idNumber.addEventListener("input", checkId);
  idType.addEventListener("change", checkId);
  kind.addEventListener("change", showKinds);
  action.addEventListener("change", showAction);
  if (allCapable) { allCapable.addEventListener("change", showAllCapable); }
  form.addEventListener("submit", function () {
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    button.textContent = "正在提交……";
  });
  showKinds();
  showAction();
}());
