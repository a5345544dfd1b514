/* Click-to-load for YouTube videos: nothing is requested from YouTube until the
   visitor chooses to watch. The page links to the youtube-nocookie.com player
   (which works without JavaScript); here that link becomes a button that puts the
   player in its place. A real <button> works with Enter and Space. */
(function () {
  "use strict";

  function play(button, href) {
    var url = new URL(href);
    url.searchParams.set("autoplay", "1");
    var frame = document.createElement("iframe");
    var heading = document.querySelector("main h1");
    frame.src = url.toString();
    frame.title = heading ? heading.textContent.trim() : button.textContent.trim();
    frame.className = "video-frame";
    frame.setAttribute("allow", "autoplay; encrypted-media; picture-in-picture; fullscreen");
    frame.setAttribute("allowfullscreen", "");
    frame.setAttribute("referrerpolicy", "strict-origin-when-cross-origin");
    button.replaceWith(frame);
    frame.focus();
  }

  document.querySelectorAll("a.video-link").forEach(function (link) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "video-load";
    while (link.firstChild) {
      button.appendChild(link.firstChild);
    }
    button.addEventListener("click", function () {
      play(button, link.href);
    });
    link.replaceWith(button);
  });
})();
