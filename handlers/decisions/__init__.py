"""Python decisions (CONTRACT.md decisions table): one module per decision, a function named like the decision."""
