"""States and the signals behind them: hooks, screen rules, output activity."""
