<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>{{appName}}</title>
    <link rel="stylesheet" href="/style.css" />
    <script type="module" src="/app.js"></script>
  </head>
  <body>
    <main>
      <h1>{{appName}}</h1>
      <p id="status" role="status">Not connected</p>
      <form id="join-form">
        <label>Name <input id="name" name="name" maxlength="40" required autocomplete="nickname" /></label>
        <label>Room <input id="room" name="room" value="lobby" required /></label>
        <button id="join" type="submit">Join</button>
      </form>
      <ul id="messages" aria-live="polite"></ul>
      <form id="message-form" hidden>
        <input id="body" name="body" maxlength="2000" placeholder="Say something" autocomplete="off" required />
        <button id="send" type="submit">Send</button>
      </form>
    </main>
  </body>
</html>
