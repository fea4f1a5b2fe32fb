"""A support assistant that answers questions about churn data with an LLM."""

import sqlite3

from langchain_community.embeddings import HuggingFaceEmbeddings
from langchain_community.vectorstores import FAISS
from openai import OpenAI

client = OpenAI()


def answer_with_sql(question: str, db_path: str):
    response = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": f"Write one SQLite query for: {question}"}],
    )
    query = response.choices[0].message.content
    conn = sqlite3.connect(db_path)
    return conn.cursor().execute(query).fetchall()


def load_index(folder: str):
    return FAISS.load_local(folder, HuggingFaceEmbeddings(), allow_dangerous_deserialization=True)
