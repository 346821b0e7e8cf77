/* /bin/exit42: prints nothing and exits with status 42 (BEHAVIOURS.md PROC-004). */
int main(void)
{
	return 42;
}
