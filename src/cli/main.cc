// Placeholder until the subcommands land.
int main() { return 0; }
