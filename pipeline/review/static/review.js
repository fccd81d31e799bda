// The review desk's few behaviours. No content from videos ever reaches this code as HTML:
// it only reads numbers from data- attributes and moves the view.
"use strict";

function paragraphAt(seconds) {
  let best = null;
  for (const p of document.querySelectorAll("#transcript p[data-start]")) {
    // Section times are whole seconds (the [mm:ss] markers the model copied): 12:34 means 754.0 to 754.999.
    if (parseFloat(p.dataset.start) < seconds + 1) best = p; else break;
  }
  return best || document.querySelector("#transcript p[data-start]");
}

function show(paragraph) {
  if (!paragraph) return;
  for (const p of document.querySelectorAll("#transcript p.here")) p.classList.remove("here");
  paragraph.classList.add("here");
  paragraph.scrollIntoView({block: "center"});
}

document.addEventListener("click", (event) => {
  const seek = event.target.closest(".seek");
  if (seek && seek.dataset.start !== undefined) { show(paragraphAt(parseFloat(seek.dataset.start))); return; }
  if (seek && seek.dataset.paragraph !== undefined) {
    event.preventDefault();
    show(document.getElementById("p-" + seek.dataset.paragraph));
    return;
  }
  const mark = event.target.closest("mark.flag");
  if (mark) follow(mark);
});

// A flagged phrase is a button (tabindex, role): Enter or Space follows it as a click does.
document.addEventListener("keydown", (event) => {
  const mark = event.target.closest && event.target.closest("mark.flag");
  if (mark && (event.key === "Enter" || event.key === " ")) {
    event.preventDefault();
    follow(mark);
  }
});

// The flag a phrase is marked for, and the transcript's passage its evidence is.
function follow(mark) {
  const item = document.getElementById("flag-" + mark.dataset.flag);
  if (item) {
    item.scrollIntoView({block: "center"});
    const proof = item.querySelector(".seek[data-paragraph]");
    if (proof) show(document.getElementById("p-" + proof.dataset.paragraph));
  }
}

// Background work (regenerate, retry): poll until it ends, then show the result.
const job = document.getElementById("job");
if (job && job.dataset.state === "running") {
  const poll = async () => {
    const answer = await fetch(job.dataset.url, {credentials: "same-origin"});
    const state = await answer.json();
    document.getElementById("job-progress").textContent = state.progress || state.state;
    if (state.state === "running") setTimeout(poll, 500);
    else window.location.replace(window.location.pathname);
  };
  setTimeout(poll, 500);
}
