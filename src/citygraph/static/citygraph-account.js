// The pages behind the links in account e-mails (citygraph.web.account_pages): they call the
// GraphQL API with the link's uid and token and say what happened. Every rule (token validity,
// password and username checks) is the API's; this only shows its answer.
(function () {
  "use strict";

  const root = document.getElementById("account");
  const form = document.getElementById("account-form");
  const input = document.getElementById("account-value");
  const status = document.getElementById("account-status");
  const { action, uid, token } = root.dataset;

  const OPERATIONS = {
    activate: {
      query:
        "mutation Activate($uid: String!, $token: String!) { activateAccount(uid: $uid, token: $token) { username } }",
      variables: () => ({ uid, token }),
      done: (data) =>
        `Аккаунт ${data.activateAccount.username} активирован, можно входить. · ` +
        `The account ${data.activateAccount.username} is active: you can log in now.`,
    },
    "password-reset": {
      query:
        "mutation Reset($uid: String!, $token: String!, $value: String!) { confirmPasswordReset(uid: $uid, token: $token, newPassword: $value) }",
      variables: () => ({ uid, token, value: input.value }),
      done: () => "Пароль изменён. · Your password has been changed.",
    },
    "username-reset": {
      query:
        "mutation Rename($uid: String!, $token: String!, $value: String!) { confirmUsernameReset(uid: $uid, token: $token, newUsername: $value) { username } }",
      variables: () => ({ uid, token, value: input.value }),
      done: (data) =>
        `Новое имя: ${data.confirmUsernameReset.username}. · ` +
        `Your username is now ${data.confirmUsernameReset.username}.`,
    },
  };

  function show(text, outcome) {
    status.textContent = text;
    root.dataset.outcome = outcome;
  }

  // The API's messages: field messages (`extensions.fields`) first, else the error's message.
  function problems(errors) {
    const lines = [];
    for (const error of errors) {
      const fields = (error.extensions && error.extensions.fields) || {};
      const messages = Object.values(fields).flat();
      lines.push(...(messages.length ? messages : [error.message]));
    }
    return lines.join(" ");
  }

  async function run() {
    const operation = OPERATIONS[action];
    show("…", "pending");
    try {
      const response = await fetch("/graphql", {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({ query: operation.query, variables: operation.variables() }),
      });
      const body = await response.json();
      if (body.errors && body.errors.length) {
        show(problems(body.errors), "error");
      } else {
        show(operation.done(body.data), "done");
        document.getElementById("account-intro").hidden = true;
        if (form) {
          form.hidden = true;
        }
      }
    } catch (error) {
      show("Сервер недоступен, попробуйте позже. · The server cannot be reached, try again later.", "error");
    }
  }

  if (form) {
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      run();
    });
  } else {
    run();
  }
})();
