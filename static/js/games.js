// Connect Four page: the server holds the game; this script posts the player's column and draws
// the board and the controller's explanations from each answer.
(function () {
  "use strict";
  var form = document.getElementById("new-game");
  if (!form) return;
  var engines = JSON.parse(document.getElementById("game-engines").textContent);
  var engineSelect = document.getElementById("engine");
  var levelSelect = document.getElementById("level");
  var statusLine = document.getElementById("game-status");
  var log = document.getElementById("explanations");
  var drops = document.querySelectorAll(".c4-drop");
  var cells = document.querySelectorAll(".c4-cell");
  var csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  var moveUrl = form.action.replace(/new\/$/, "move/");
  var busy = false;
  var NAMES = { 0: "empty", 1: "red", 2: "yellow" };

  function fillLevels() {
    var engine = engines.find(function (e) { return e.name === engineSelect.value; });
    levelSelect.innerHTML = "";
    if (!engine) {
      levelSelect.add(new Option("Chosen for you", ""));
      levelSelect.disabled = true;
      return;
    }
    levelSelect.disabled = false;
    engine.levels.forEach(function (pair) {
      levelSelect.add(new Option(pair[0] + ": " + pair[1], pair[0], false, pair[0] === engine.default));
    });
  }

  function post(url, data) {
    busy = true;
    return fetch(url, {
      method: "POST",
      headers: { "X-CSRFToken": csrf, "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(data),
      credentials: "same-origin",
    }).then(function (response) {
      return response.json().then(function (body) {
        if (!response.ok) throw new Error(body.error || "The server refused the move.");
        return body;
      });
    }).finally(function () { busy = false; });
  }

  function draw(state) {
    if (!state) return;
    cells.forEach(function (cell) {
      var value = state.board[+cell.dataset.row][+cell.dataset.col];
      cell.dataset.disc = value;
      cell.setAttribute("aria-label", "row " + (+cell.dataset.row + 1) + ", column " + (+cell.dataset.col + 1) + ": " + NAMES[value]);
    });
    drops.forEach(function (button) {
      button.disabled = !state.your_turn || state.board[0][+button.dataset.column] !== 0;
    });
    log.innerHTML = "";
    state.explanations.forEach(function (text) {
      var item = document.createElement("li");
      item.textContent = text;
      log.appendChild(item);
    });
    var opponent = state.engine_label + " level " + state.level + (state.auto ? " (auto)" : "");
    var text;
    if (state.result === "win") text = "You won against " + opponent + "!";
    else if (state.result === "loss") text = opponent + " won this game.";
    else if (state.result === "draw") text = "A draw: the board is full.";
    else text = "Your move against " + opponent + ": pick a column.";
    if (state.result && state.rating !== null) text += " Your rating is now " + Math.round(state.rating) + ".";
    statusLine.textContent = text;
    statusLine.dataset.result = state.result || "";
    var rating = document.querySelector("#rating strong");
    if (rating && state.rating !== null) rating.textContent = Math.round(state.rating);
  }

  function fail(error) { statusLine.textContent = error.message; }

  engineSelect.addEventListener("change", fillLevels);
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (busy) return;
    post(form.action, { engine: engineSelect.value, level: levelSelect.value, side: form.side.value })
      .then(draw).catch(fail);
  });
  drops.forEach(function (button) {
    button.addEventListener("click", function () {
      if (busy) return;
      drops.forEach(function (b) { b.disabled = true; });
      statusLine.textContent = "Thinking…";
      post(moveUrl, { column: button.dataset.column }).then(draw).catch(fail);
    });
  });
  fillLevels();
  draw(JSON.parse(document.getElementById("game-state").textContent));
})();
