"""Allow ``python -m annotator`` (and the bundle's executable)."""

from annotator.launch import main

if __name__ == "__main__":
    main()
