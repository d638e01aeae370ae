// Enhancement only: every page works without it. Shows times in the reader's own time zone.
document.querySelectorAll("time[datetime]").forEach(function (el) {
  var when = new Date(el.getAttribute("datetime"));
  if (isNaN(when) || el.getAttribute("datetime").indexOf("T") < 0) return;
  el.title = el.textContent;
  el.textContent = when.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
});
