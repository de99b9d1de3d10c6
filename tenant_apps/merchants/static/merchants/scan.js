// Pay a merchant (/pay): browsers with the Barcode Detection API scan the merchant's QR code with the camera.
// A file of its own, not an inline script: the Content-Security-Policy allows scripts from this origin only.
(function () {
  "use strict";
  var button = document.getElementById("scan-qr"), video = document.getElementById("scan-video");
  var field = document.getElementById("id_qr");
  if (!button || !video || !field || !("BarcodeDetector" in window) || !navigator.mediaDevices) return;
  button.hidden = false;
  button.addEventListener("click", async function () {
    var detector = new window.BarcodeDetector({formats: ["qr_code"]});
    var stream = await navigator.mediaDevices.getUserMedia({video: {facingMode: "environment"}});
    video.srcObject = stream; video.hidden = false; await video.play();
    var timer = setInterval(async function () {
      var codes = await detector.detect(video);
      if (codes.length) {
        clearInterval(timer); stream.getTracks().forEach(function (track) { track.stop(); });
        video.hidden = true; field.value = codes[0].rawValue; field.form.submit();
      }
    }, 300);
  });
})();
