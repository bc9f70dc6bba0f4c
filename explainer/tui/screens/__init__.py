"""The app's screens: browser, entry, explanation, paste, history, help, missing database."""
