// /redoc: the API's description (ReDoc, from the platform's own copy: no CDN).
"use strict";
Redoc.init("/openapi.json", { hideDownloadButton: false }, document.getElementById("redoc"));
